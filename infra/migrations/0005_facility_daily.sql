-- Per facility and service date: claims decided, money requested / approved / rejected, and
-- outcome counts, computed from the current decision of each claim version.
--
-- A plain VIEW over `decisions FINAL`, not a materialized view: a materialized view sees every
-- INSERT block as it arrives, before ReplacingMergeTree has collapsed anything. A replayed sink
-- batch (inserted, then the process died before committing its offsets) or an amended decision
-- (revision 2 of a version already counted) would be added a second time, and a
-- SummingMergeTree target only ever adds, so the daily totals would double count. Deduplicating
-- at read time costs a FINAL merge per query; filter on service_date to keep it small.
CREATE VIEW IF NOT EXISTS facility_daily AS
SELECT
    facility,
    province,
    service_date,
    count() AS claims,
    sum(requested) AS requested,
    sum(approved) AS approved,
    sum(rejected) AS rejected,
    countIf(outcome = 'ACCEPT') AS accepted_claims,
    countIf(outcome = 'PARTIAL_REJECT') AS partial_claims,
    countIf(outcome = 'REJECT') AS rejected_claims,
    countIf(warned = 1) AS warned_claims
FROM decisions FINAL
GROUP BY facility, province, service_date;
