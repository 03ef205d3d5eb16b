-- Private: the audit trail. One row per administrative action — erasure,
-- retention runs, provisioning, imports — with who (an operator or token id,
-- never a secret), what, when and the outcome. Append-only: tend never
-- updates or deletes a row, retention included.
CREATE TABLE IF NOT EXISTS {{.DB}}.audit (
    at DateTime('UTC'),
    actor String,
    action String,
    target String,
    outcome String,
    detail String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, action);
