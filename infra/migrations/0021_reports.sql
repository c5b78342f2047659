-- Signed reports (docs/settlement.md): each PDF at each signing stage, and the audit of every
-- signing attempt.
--
-- reports keeps the PDF bytes of a report at its latest stage (0 generated with two empty
-- signature fields, 1 signed by the preparer, 2 signed by the head as well):
-- ReplacingMergeTree(stage) keeps the most signed copy, and each stage is an incremental update of
-- the one before, so the earlier signature stays valid. facility is '' for a province's summary.
CREATE TABLE IF NOT EXISTS reports
(
    report_id     String,
    kind          String,
    facility      String,
    province      String,
    period_kind   String,
    period        String,
    period_start  Date,
    stage         UInt8,
    signers       Array(String),
    sha256        String,
    pdf           String,
    generated_at  DateTime('UTC'),
    updated_at    DateTime('UTC'),
    ingested_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree(stage)
PARTITION BY toYYYYMM(period_start)
ORDER BY (report_id);

-- Every signing, and every refused attempt: who asked (actor, role), which field, whose
-- certificate signed, the hash of the PDF after it.
CREATE TABLE IF NOT EXISTS report_signings
(
    report_id    String,
    field        String,
    result       String,
    signer       String,
    actor        String,
    actor_role   String,
    at           DateTime('UTC'),
    sha256       String,
    detail       String,
    ingested_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(at)
ORDER BY (report_id, field, at, result);
