-- Private: the roster. One row per enrolled clinician (a pseudonym, never
-- the raw identifier) and clinic: their team, the SHA-256 of their personal
-- check-in token (empty once revoked), when they were enrolled and, once
-- removed, when they left. Every change writes the whole row again with a
-- higher version: read with FINAL. Its size per team is the denominator of
-- participation.
CREATE TABLE IF NOT EXISTS {{.DB}}.roster (
    clinic String,
    clinician String,
    team String,
    token_sha256 String,
    enrolled_at DateTime('UTC'),
    left_at DateTime('UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (clinic, clinician);
