-- Private database: pseudonymized check-ins, one row per check-in id.
-- ReplacingMergeTree keeps one row per (clinic, team, id) when parts merge;
-- every query that must not double count reads with FINAL or GROUP BY id.
CREATE DATABASE IF NOT EXISTS {{.DB}};

CREATE TABLE IF NOT EXISTS {{.DB}}.checkins (
    id String,
    clinic String,
    team String,
    clinician String,
    instrument String,
    submitted_at DateTime('UTC'),
    received_at DateTime('UTC'),
    stored_at DateTime('UTC'),
    answers Array(UInt8),
    sessions Nullable(UInt16),
    trauma_sessions Nullable(UInt16),
    hours_worked Nullable(Float32),
    sleep_hours Nullable(Float32),
    compassion_satisfaction Nullable(Float64),
    burnout Nullable(Float64),
    secondary_traumatic_stress Nullable(Float64),
    compassion_fatigue Nullable(Float64),
    self_compassion Nullable(Float64),
    self_kindness Nullable(Float64),
    self_judgment Nullable(Float64),
    common_humanity Nullable(Float64),
    isolation Nullable(Float64),
    mindfulness Nullable(Float64),
    over_identification Nullable(Float64),
    personal_burnout Nullable(Float64),
    work_burnout Nullable(Float64),
    client_burnout Nullable(Float64),
    burnout_level Nullable(Float64)
) ENGINE = ReplacingMergeTree(stored_at)
PARTITION BY toYYYYMM(submitted_at)
ORDER BY (clinic, team, id);
