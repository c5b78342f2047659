-- One row per rule hit of a decision, with its explanation as data.
--
-- Key (facility, claim_id, version, code, table, line, occurrence); line is -1 for a claim-level
-- hit. `occurrence` numbers hits that share code/table/line inside one decision (e.g. XC02 against
-- two other stays), so they are not collapsed into one. A replayed decision rewrites the same keys
-- and collapses; an amended decision (revision + 1) re-sends all of its hits and, with
-- ReplacingMergeTree(revision), its rows replace the earlier revision's.
--
-- A hit present in revision 1 but absent from revision 2 would survive in `rule_hits FINAL` as a
-- stale revision-1 row, because nothing overwrites its key. Our amendments only ever add hits (an
-- overlap found later), so today that cannot happen; `current_rule_hits` below is the exact
-- answer in any case: the hits of each claim version's current decision revision.
-- inputs (an Avro map) are two parallel arrays sorted by key (no Map type on 18.16).
CREATE TABLE IF NOT EXISTS rule_hits
(
    facility      String,
    claim_id      String,
    version       UInt32,
    revision      UInt32,
    code          String,
    rule_version  String,
    severity      String,
    title         String,
    table         String,
    line          Int32,
    occurrence    UInt16,
    amount        Decimal(18, 2),
    message       String,
    legal_basis   String,
    input_keys    Array(String),
    input_values  Array(String),
    service_date  Date,
    decided_at    DateTime('UTC'),
    ingested_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYYYYMM(service_date)
ORDER BY (facility, claim_id, version, code, table, line, occurrence);

CREATE VIEW IF NOT EXISTS current_rule_hits AS
SELECT *
FROM rule_hits FINAL
WHERE (facility, claim_id, version, revision) IN
    (SELECT facility, claim_id, version, revision FROM decisions FINAL);
