-- Reporting v2: closed periods, each published once and never changed.
-- The weekly tables of v1 rewrote the open week as check-ins arrived (a
-- difference of two versions gave one clinician's score) and kept old
-- versions readable until parts merged: they are dropped, and every closed
-- period is published again, once, from the stored check-ins.
DROP TABLE IF EXISTS {{.Reporting}}.team_weekly;
DROP TABLE IF EXISTS {{.Reporting}}.alerts;

-- One row per (clinic, team, instrument, score, period); team '_all' is the
-- clinic total. Written once (plain MergeTree: there is no second version to
-- read). Suppressed rows carry NULL values, respondents included.
CREATE TABLE IF NOT EXISTS {{.Reporting}}.team_periods (
    clinic String,
    team String,
    instrument String,
    score String,
    period Enum8('week' = 1, 'month' = 2),
    period_start Date,
    suppressed UInt8,
    respondents Nullable(UInt32),
    mean Nullable(Float64),
    stddev Nullable(Float64),
    share_high Nullable(Float64),
    participation Nullable(Float64),
    published_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(period_start)
ORDER BY (clinic, team, score, period_start);

-- Alert transitions, decided when a period is published, written once.
CREATE TABLE IF NOT EXISTS {{.Reporting}}.alerts (
    id String,
    clinic String,
    team String,
    instrument String,
    rule String,
    period Enum8('week' = 1, 'month' = 2),
    period_start Date,
    state Enum8('firing' = 1, 'resolved' = 2),
    published_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(period_start)
ORDER BY (clinic, team, rule, period_start);

-- The open period shows how many have answered so far, never a score.
-- Read with FINAL (or max(respondents)).
CREATE TABLE IF NOT EXISTS {{.Reporting}}.open_periods (
    clinic String,
    team String,
    instrument String,
    period Enum8('week' = 1, 'month' = 2),
    period_start Date,
    respondents UInt32,
    counted_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(counted_at)
ORDER BY (clinic, team, instrument, period_start);

-- Check-ins stored after their period was published: counted, never folded
-- into the published figure. Read with FINAL (or max(late)).
CREATE TABLE IF NOT EXISTS {{.Reporting}}.late_checkins (
    clinic String,
    team String,
    instrument String,
    period Enum8('week' = 1, 'month' = 2),
    period_start Date,
    late UInt32,
    counted_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(counted_at)
ORDER BY (clinic, team, instrument, period_start);

-- Private: when check-ins of a clinic, instrument and day were stored. The
-- reporter reads what arrived since its last pass from here, so that its
-- cost follows what changed, not all history. Kept in step by ClickHouse
-- itself (a materialized view on every insert into checkins).
CREATE TABLE IF NOT EXISTS {{.DB}}.arrivals (
    clinic String,
    instrument String,
    day Date,
    stored_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(stored_at)
ORDER BY stored_at;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.arrivals_mv TO {{.DB}}.arrivals
AS SELECT clinic, instrument, toDate(submitted_at) AS day, max(stored_at) AS stored_at
FROM {{.DB}}.checkins
GROUP BY clinic, instrument, day;

INSERT INTO {{.DB}}.arrivals (clinic, instrument, day, stored_at)
SELECT clinic, instrument, toDate(submitted_at) AS day, max(stored_at) AS stored_at
FROM {{.DB}}.checkins
GROUP BY clinic, instrument, day;
