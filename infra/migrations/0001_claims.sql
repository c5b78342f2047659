-- One row per claim version received on hi.claims (the XML1 header, flattened by the sink).
--
-- Identity is (facility, claim_id, version). The sink is at-least-once, so the same version may be
-- inserted more than once (a replayed batch); ReplacingMergeTree collapses the copies on merge and
-- `FINAL` (or argMax ... GROUP BY the key) gives exact answers before that. A claim version's
-- content never changes, so any copy is right; `ingested_at` only picks the latest one.
--
-- Portability (ClickHouse 18.16 and 24/25): DateTime (seconds) only, no DateTime64, TTL,
-- LowCardinality, codecs or Map. Facility wall-clock times (NGAY_VAO ...) are stored in the
-- facility's zone and instants (submitted_at ...) in UTC, so neither depends on the server's zone.
-- The partition key must be a function of the identity (a claim version has one ngay_vao), otherwise
-- copies of one row could land in different partitions and never collapse.
CREATE TABLE IF NOT EXISTS claims
(
    facility         String,
    province         String,
    claim_id         String,
    version          UInt32,
    person_key       String,
    content_hash     String,
    submitted_at     DateTime('UTC'),
    source_standard  String,
    ma_the_bhyt      String,
    gioi_tinh        Int32,
    ma_loai_kcb      String,
    inpatient        UInt8,
    ma_doituong_kcb  String,
    ma_benh_chinh    String,
    ma_benh_kt       String,
    ma_khoa          String,
    ngay_vao         DateTime('Asia/Ho_Chi_Minh'),
    ngay_ra          DateTime('Asia/Ho_Chi_Minh'),
    ngay_ttoan       Nullable(DateTime('Asia/Ho_Chi_Minh')),
    so_ngay_dtri     Int32,
    ket_qua_dtri     Int32,
    ma_loai_rv       Int32,
    t_thuoc          Decimal(18, 2),
    t_vtyt           Decimal(18, 2),
    t_tongchi_bv     Decimal(18, 2),
    t_tongchi_bh     Decimal(18, 2),
    t_bntt           Decimal(18, 2),
    t_bncct          Decimal(18, 2),
    t_bhtt           Decimal(18, 2),
    t_nguonkhac      Decimal(18, 2),
    drug_lines       UInt32,
    service_lines    UInt32,
    supply_lines     UInt32,
    lab_results      Int32,
    clinical_notes   Int32,
    ingested_at      DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ngay_vao)
ORDER BY (facility, claim_id, version);
