-- One row per XML2 (drug) or XML3 (service / supply) line of a claim version.
--
-- Key (facility, claim_id, version, table, stt): STT numbers a line inside its XML table, so a
-- replayed claim version rewrites exactly the same keys and ReplacingMergeTree collapses them.
-- `kind` follows docs/contracts.md: XML2 -> DRUG (code ma_thuoc); XML3 with ma_nhom 10/11 ->
-- SUPPLY (code ma_vat_tu); other XML3 -> SERVICE (code ma_dich_vu). XML2 has a single DON_GIA,
-- stored in both don_gia_bv and don_gia_bh. Quantities and unit prices carry 3 decimals (QD 130),
-- amounts 2. Lines are partitioned by the claim's service month (not NGAY_YL) so the lines of
-- one claim stay together and the partition is fixed by the claim version.
CREATE TABLE IF NOT EXISTS claim_lines
(
    facility      String,
    claim_id      String,
    version       UInt32,
    table         String,
    stt           Int32,
    kind          String,
    code          String,
    ma_nhom       Int32,
    pham_vi       Int32,
    so_luong      Decimal(18, 3),
    don_gia_bv    Decimal(18, 3),
    don_gia_bh    Decimal(18, 3),
    tyle_tt_bh    Float64,
    muc_huong     Float64,
    thanh_tien_bv Decimal(18, 2),
    thanh_tien_bh Decimal(18, 2),
    t_bhtt        Decimal(18, 2),
    ngay_yl       DateTime('Asia/Ho_Chi_Minh'),
    ma_bac_si     String,
    ma_khoa       String,
    service_date  Date,
    ingested_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(service_date)
ORDER BY (facility, claim_id, version, table, stt);
