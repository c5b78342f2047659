-- The current appraisal decision of each claim version (from hi.decisions).
--
-- A claim version may be decided more than once: replays (at-least-once worker and sink) repeat
-- the same revision, amendments raise it. `ver` = revision, so after a merge (or with FINAL /
-- argMax(..., ver)) the highest revision wins and a replayed identical decision, having the same
-- ver, collapses into one row. Hence `SELECT count() FROM decisions FINAL` is one row per claim
-- version however often a batch was replayed. Never sum over `decisions` without FINAL.
--
-- service_date (= NGAY_VAO date) is the same for every revision of a version, so all copies of a
-- key share a partition. hit_codes is the sorted set of rule codes that hit; `warned` is 1 when any
-- hit is a WARNING (the claim went to the manual-review queue). decided_at has second precision
-- (no DateTime64 on 18.16); decided_at_ms keeps the milliseconds.
CREATE TABLE IF NOT EXISTS decisions
(
    facility       String,
    province       String,
    claim_id       String,
    version        UInt32,
    revision       UInt32,
    person_key     String,
    content_hash   String,
    submitted_at   DateTime('UTC'),
    decided_at     DateTime('UTC'),
    decided_at_ms  UInt16,
    service_date   Date,
    outcome        String,
    requested      Decimal(18, 2),
    approved       Decimal(18, 2),
    rejected       Decimal(18, 2),
    rules_version  String,
    hit_codes      Array(String),
    hit_count      UInt32,
    warned         UInt8,
    ver            UInt64,
    ingested_at    DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(service_date)
ORDER BY (facility, claim_id, version);
