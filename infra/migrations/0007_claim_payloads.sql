-- Each claim version's event exactly as received on hi.claims: what `hireview replay` decodes and
-- re-appraises (the flattened `claims` / `claim_lines` rows lose fields the rules read).
--
-- payload holds the raw Confluent wire-format bytes (magic byte, schema id, Avro body) in a
-- String, which ClickHouse stores as arbitrary bytes: no base64/hex step on write or read (read it
-- with the driver's strings_as_bytes), and the schema id lets an old event be decoded with the
-- schema it was written with. person_key and submitted_at give the replay its order (per person,
-- in arrival order), service_date its range scan; identity, dedup and partitioning are those of
-- `claims` (the same version re-sent, e.g. re-injected for re-appraisal, collapses).
CREATE TABLE IF NOT EXISTS claim_payloads
(
    facility      String,
    claim_id      String,
    version       UInt32,
    person_key    String,
    service_date  Date,
    ngay_vao      DateTime('Asia/Ho_Chi_Minh'),
    submitted_at  DateTime('UTC'),
    content_hash  String,
    payload       String,
    ingested_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(service_date)
ORDER BY (facility, claim_id, version);
