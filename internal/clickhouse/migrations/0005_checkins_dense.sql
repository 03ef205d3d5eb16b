-- Check-ins v2: the same rows, cheaper to insert. Every insert writes one
-- part per partition it touches, and a part costs files: 0001's 29 columns
-- with 20 Nullable ones wrote about 100 files per part (43 ms per 1,000-row
-- insert on 18.16), and its monthly partitions split a batch of history
-- into a part per month. Here: 13 columns, none Nullable — each check-in's
-- scores and context as (names, values) arrays, holding exactly the values
-- its instrument and its sender gave — about 40 files per part, in yearly
-- partitions (retention drops whole years and deletes the rows of the year
-- straddling its cutoff).
--
-- The old table is renamed away before its rows are copied: a processor
-- of an older release still running fails to insert into the new layout and
-- leaves its batch unacked for redelivery, so nothing written to the old
-- table after the copy began can be lost. A statement after "-- only if:"
-- runs only when that query counts more than 0, so that a migration cut
-- short is finished by the next run.

-- only if: SELECT count() FROM system.columns WHERE database = '{{.DB}}' AND table = 'checkins' AND name = 'burnout'
CREATE TABLE IF NOT EXISTS {{.DB}}.checkins_v2 (
    id String,
    clinic String,
    team String,
    clinician String,
    instrument String,
    submitted_at DateTime('UTC'),
    received_at DateTime('UTC'),
    stored_at DateTime('UTC'),
    answers Array(UInt8),
    context_names Array(String),
    context_values Array(Float32),
    score_names Array(String),
    score_values Array(Float64)
) ENGINE = ReplacingMergeTree(stored_at)
PARTITION BY toYear(submitted_at)
ORDER BY (clinic, team, id);

-- The arrivals view follows the table it was created on, renamed or not:
-- it is made again on the new table.
-- only if: SELECT count() FROM system.columns WHERE database = '{{.DB}}' AND table = 'checkins' AND name = 'burnout'
DROP TABLE IF EXISTS {{.DB}}.arrivals_mv;

-- only if: SELECT count() FROM system.columns WHERE database = '{{.DB}}' AND table = 'checkins' AND name = 'burnout'
RENAME TABLE {{.DB}}.checkins TO {{.DB}}.checkins_v1, {{.DB}}.checkins_v2 TO {{.DB}}.checkins;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.arrivals_mv TO {{.DB}}.arrivals
AS SELECT clinic, instrument, toDate(submitted_at) AS day, max(stored_at) AS stored_at
FROM {{.DB}}.checkins
GROUP BY clinic, instrument, day;

-- Every row, stored_at kept (the reporter's arrivals are not replayed). A
-- score or context value that was NULL is simply absent from its arrays.
-- only if: SELECT count() FROM system.tables WHERE database = '{{.DB}}' AND name = 'checkins_v1'
INSERT INTO {{.DB}}.checkins (id, clinic, team, clinician, instrument, submitted_at, received_at, stored_at, answers,
    context_names, context_values, score_names, score_values)
SELECT id, clinic, team, clinician, instrument, submitted_at, received_at, stored_at, answers,
    arrayFilter((n, v) -> isNotNull(v), ['sessions', 'trauma_sessions', 'hours_worked', 'sleep_hours'],
        [toFloat32(sessions), toFloat32(trauma_sessions), hours_worked, sleep_hours]),
    arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v),
        [toFloat32(sessions), toFloat32(trauma_sessions), hours_worked, sleep_hours])),
    arrayFilter((n, v) -> isNotNull(v),
        ['compassion_satisfaction', 'burnout', 'secondary_traumatic_stress', 'compassion_fatigue',
         'self_compassion', 'self_kindness', 'self_judgment', 'common_humanity', 'isolation', 'mindfulness', 'over_identification',
         'personal_burnout', 'work_burnout', 'client_burnout', 'burnout_level'],
        [compassion_satisfaction, burnout, secondary_traumatic_stress, compassion_fatigue,
         self_compassion, self_kindness, self_judgment, common_humanity, isolation, mindfulness, over_identification,
         personal_burnout, work_burnout, client_burnout, burnout_level]),
    arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v),
        [compassion_satisfaction, burnout, secondary_traumatic_stress, compassion_fatigue,
         self_compassion, self_kindness, self_judgment, common_humanity, isolation, mindfulness, over_identification,
         personal_burnout, work_burnout, client_burnout, burnout_level]))
FROM {{.DB}}.checkins_v1;

DROP TABLE IF EXISTS {{.DB}}.checkins_v1;
