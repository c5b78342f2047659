-- Per facility and service day (NGAY_VAO's date in the facility's zone): volumes, costs,
-- appraisal amounts and rule hits of the claims' current state, for fund-use monitoring.
--
-- A maintained table, not a materialized view: a materialized view sees each INSERT block
-- before ReplacingMergeTree collapses anything, so an at-least-once re-insert by the sink or a
-- decision's next revision would be added again (see 0005_facility_daily). Not a plain view
-- either: the detector reads a year of days for every facility, and a view re-joins claims
-- FINAL with decisions FINAL on every read. So hireview detect (streams/fund/refresh.py)
-- recomputes whole days from the deduplicated sources whenever claims or decisions of those
-- days arrived, and inserts one row per (facility, day): a recomputation replaces the row
-- (ReplacingMergeTree(ver), ver = the refresh time in ms), and the refresh then merges the
-- touched partitions (OPTIMIZE ... FINAL), so plain reads are exact too; FINAL always is.
--
-- Counted per claim at its latest version, joined with that version's highest decision
-- revision (a claim not decided yet counts with approved = rejected = 0 and decided = 0).
-- admissions: MA_LOAI_KCB 03 (an inpatient stay starts); inpatient: all inpatient types
-- (03, 04, 09); bed_days: SO_NGAY_DTRI of inpatient claims; referrals_in: MA_DOITUONG_KCB 1.3;
-- referrals_out: MA_LOAI_RV 2 or 5. Costs from the claim header: total T_TONGCHI_BV, HI T_BHTT,
-- drugs T_THUOC, supplies T_VTYT, services the rest. Rule hits by rule: hit_codes (sorted)
-- and hit_claims (claims whose current decision hit that code), parallel arrays.
CREATE TABLE IF NOT EXISTS facility_day
(
    day             Date,
    facility        String,
    province        String,
    visits          UInt64,
    outpatient      UInt64,
    inpatient       UInt64,
    admissions      UInt64,
    bed_days        UInt64,
    referrals_in    UInt64,
    referrals_out   UInt64,
    total_cost      Float64,
    hi_cost         Float64,
    approved        Float64,
    rejected        Float64,
    drug_cost       Float64,
    supply_cost     Float64,
    service_cost    Float64,
    inpatient_cost  Float64,
    decided         UInt64,
    hit_codes       Array(String),
    hit_claims      Array(UInt64),
    refreshed_at    DateTime('UTC'),
    ver             UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(day)
ORDER BY (facility, day);

-- The same metrics per province and day, summed over the province's facilities (facilities:
-- those with a visit that day; a day left without claims keeps a zero row). `active` is
-- computed in a subquery: on 18.16 any `visits` in this SELECT would mean sum(visits).
CREATE VIEW IF NOT EXISTS province_day AS
SELECT
    day,
    province,
    countIf(active = 1) AS facilities,
    sum(visits) AS visits,
    sum(outpatient) AS outpatient,
    sum(inpatient) AS inpatient,
    sum(admissions) AS admissions,
    sum(bed_days) AS bed_days,
    sum(referrals_in) AS referrals_in,
    sum(referrals_out) AS referrals_out,
    sum(total_cost) AS total_cost,
    sum(hi_cost) AS hi_cost,
    sum(approved) AS approved,
    sum(rejected) AS rejected,
    sum(drug_cost) AS drug_cost,
    sum(supply_cost) AS supply_cost,
    sum(service_cost) AS service_cost,
    sum(inpatient_cost) AS inpatient_cost,
    sum(decided) AS decided
FROM (SELECT *, toUInt8(visits > 0) AS active FROM facility_day FINAL)
GROUP BY day, province;

-- Rule hits by rule, one row per facility, day and rule code.
CREATE VIEW IF NOT EXISTS facility_rule_day AS
SELECT day, facility, province, code, claims
FROM facility_day FINAL
ARRAY JOIN hit_codes AS code, hit_claims AS claims;
