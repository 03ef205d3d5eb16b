-- Reporting database: aggregates only, over at least k distinct respondents
-- (suppressed rows carry NULL values). Grafana's user reads nothing else.
CREATE DATABASE IF NOT EXISTS {{.Reporting}};

-- One row per (clinic, team, ISO week, score); team '_all' is the clinic
-- total. Recomputation writes whole clinics again with a higher version:
-- read with FINAL.
CREATE TABLE IF NOT EXISTS {{.Reporting}}.team_weekly (
    clinic String,
    team String,
    week Date,
    score String,
    suppressed UInt8,
    respondents Nullable(UInt32),
    mean Nullable(Float64),
    stddev Nullable(Float64),
    share_high Nullable(Float64),
    rolling_mean_4w Nullable(Float64),
    slope_8w Nullable(Float64),
    ewma Nullable(Float64),
    ewma_ucl Nullable(Float64),
    ewma_lcl Nullable(Float64),
    participation Nullable(Float64),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(week)
ORDER BY (clinic, team, score, week);

-- Alert transitions: each (clinic, team, rule) fires once and resolves once;
-- id is deterministic, so recomputing the same data adds nothing. When late
-- check-ins rewrite history so that a recorded transition no longer happens,
-- it is kept with retracted = 1. Read with FINAL.
CREATE TABLE IF NOT EXISTS {{.Reporting}}.alerts (
    id String,
    clinic String,
    team String,
    rule String,
    week Date,
    state Enum8('firing' = 1, 'resolved' = 2),
    value_names Array(String),
    value_values Array(Float64),
    retracted UInt8,
    recorded_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (clinic, team, rule, week, id);
