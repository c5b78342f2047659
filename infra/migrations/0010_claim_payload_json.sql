-- The decoded claim beside its Avro bytes, as JSON (the values of the record the sink decoded,
-- in schema field order; times as ISO text): `hireview replay` reads it back in ~25 µs instead of
-- decoding the Avro in ~100 µs (streams/replay_json.py). payload stays the record of what was
-- received.
--
-- claim_json_schema is the fingerprint of the claim reader schema the JSON was decoded with: a
-- replay trusts claim_json only when it equals its own reader schema's, and decodes payload
-- otherwise. Rows written before this migration read back '' for both, so they are decoded from
-- payload as before; so is a claim whose JSON would not restore to the same record (a NaN).
--
-- Both columns are added by ONE statement, alone in its migration: ClickHouse 18.16 has no
-- `ADD COLUMN IF NOT EXISTS`, so the ALTER cannot be re-run, and one statement changes the table
-- for both columns or for neither. ADD COLUMN without AFTER appends them last, as
-- streams/sink_rows.PAYLOAD_COLUMNS lists them.
ALTER TABLE claim_payloads
    ADD COLUMN claim_json String DEFAULT '',
    ADD COLUMN claim_json_schema String DEFAULT '';
