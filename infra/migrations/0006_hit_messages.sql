-- Each rule hit also carries its explanation in Vietnamese and the limit it was judged against
-- (decision schema v5: RuleHit.message_vi, RuleHit.threshold).
--
-- Rows written before this migration read back message_vi = '' and threshold = NULL, the Avro
-- defaults. ADD COLUMN without AFTER appends the columns last, as streams/sink_rows.HIT_COLUMNS
-- lists them. Both columns are added by ONE statement: ClickHouse 18.16 has no
-- `ADD COLUMN IF NOT EXISTS`, so the ALTER cannot be re-run, and a single statement cannot be
-- left half applied (it changes the table's metadata once, for both columns or for neither).
-- It is alone in its migration so a failure after it cannot make a re-run stop at it;
-- 0009 re-creates the view that shows the new columns.
ALTER TABLE rule_hits
    ADD COLUMN message_vi String DEFAULT '',
    ADD COLUMN threshold Nullable(String);
