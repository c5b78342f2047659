-- Reviews (hi.reviews) and every decision revision, for the console's claim view, the audit
-- trail, the explanations the portal serves and the rule-quality figures (docs/reviews.md).
--
-- decisions keeps only a claim version's latest revision (ReplacingMergeTree(ver)); the trail
-- needs all of them, so decision_revisions keeps one row per revision (a replayed revision
-- collapses on the same key). reviewed_by/review_id name the appraiser and the hi.reviews event
-- behind a revision ('' for an automatic one). Lines and hits of a review are parallel arrays
-- (no nested types on 18.16); review_hits has one row per finding a review settled, so
-- rule_quality can take the latest verdict per finding.
CREATE TABLE IF NOT EXISTS decision_revisions
(
    facility      String,
    claim_id      String,
    version       UInt32,
    revision      UInt32,
    person_key    String,
    outcome       String,
    requested     Decimal(18, 2),
    approved      Decimal(18, 2),
    rejected      Decimal(18, 2),
    reviewed_by   String,
    review_id     String,
    decided_at    DateTime('UTC'),
    service_date  Date,
    hit_codes     Array(String),
    ingested_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(service_date)
ORDER BY (facility, claim_id, version, revision);

CREATE TABLE IF NOT EXISTS reviews
(
    review_id      String,
    facility       String,
    claim_id       String,
    version        UInt32,
    person_key     String,
    base_revision  UInt32,
    action         String,
    actor          String,
    actor_role     String,
    note           String,
    at             DateTime('UTC'),
    request_id     String,
    due            Nullable(DateTime('UTC')),
    proposal       String,
    line_tables    Array(String),
    line_numbers   Array(Int32),
    line_amounts   Array(Decimal(18, 2)),
    hit_keys       Array(String),
    hit_codes      Array(String),
    hit_verdicts   Array(String),
    attachments    Array(String),
    ingested_at    DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(at)
ORDER BY (facility, claim_id, version, review_id);

CREATE TABLE IF NOT EXISTS review_hits
(
    facility    String,
    claim_id    String,
    version     UInt32,
    hit_key     String,
    review_id   String,
    code        String,
    verdict     String,
    amount      Decimal(18, 2),
    actor       String,
    at          DateTime('UTC'),
    ingested_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(at)
ORDER BY (facility, claim_id, version, hit_key, review_id);

-- Per rule: the latest verdict on each finding appraisers settled, counted and summed.
CREATE VIEW IF NOT EXISTS rule_quality AS
SELECT
    code,
    count() AS reviewed,
    countIf(last_verdict = 'CONFIRMED') AS confirmed,
    countIf(last_verdict = 'CLEARED') AS cleared,
    countIf(last_verdict = 'CHANGED') AS changed,
    sum(last_amount) AS amount,
    sumIf(last_amount, last_verdict = 'CLEARED') AS cleared_amount,
    sumIf(last_amount, last_verdict = 'CHANGED') AS changed_amount,
    countIf(last_verdict = 'CLEARED') / count() AS cleared_share
FROM
(
    SELECT facility, claim_id, version, hit_key, any(code) AS code,
           argMax(verdict, at) AS last_verdict, argMax(amount, at) AS last_amount
    FROM review_hits FINAL
    GROUP BY facility, claim_id, version, hit_key
)
GROUP BY code;

-- Each request for explanation with its answer and how it ended: open → answered → decided, or
-- expired (no answer by the due date: the proposal stood). One thread per request id.
CREATE VIEW IF NOT EXISTS explanations AS
SELECT
    if(action = 'REQUEST_EXPLANATION', review_id, request_id) AS id,
    anyIf(facility, action = 'REQUEST_EXPLANATION') AS facility,
    anyIf(claim_id, action = 'REQUEST_EXPLANATION') AS claim_id,
    anyIf(version, action = 'REQUEST_EXPLANATION') AS version,
    anyIf(person_key, action = 'REQUEST_EXPLANATION') AS person_key,
    anyIf(base_revision, action = 'REQUEST_EXPLANATION') AS base_revision,
    anyIf(note, action = 'REQUEST_EXPLANATION') AS question,
    anyIf(actor, action = 'REQUEST_EXPLANATION') AS requested_by,
    anyIf(at, action = 'REQUEST_EXPLANATION') AS requested_at,
    anyIf(due, action = 'REQUEST_EXPLANATION') AS due,
    anyIf(proposal, action = 'REQUEST_EXPLANATION') AS proposal,
    countIf(action = 'EXPLAIN') AS answers,
    argMaxIf(note, at, action = 'EXPLAIN') AS answer,
    argMaxIf(attachments, at, action = 'EXPLAIN') AS answer_attachments,
    argMaxIf(actor, at, action = 'EXPLAIN') AS answered_by,
    maxIf(at, action = 'EXPLAIN') AS answered_at,
    argMaxIf(action, at, action IN ('CONFIRM', 'REJECT_LINES', 'REJECT_CLAIM', 'CLEAR_HITS',
                                    'EXPIRE')) AS closed_by,
    multiIf(closed_by = 'EXPIRE', 'expired', closed_by != '', 'decided',
            answers > 0, 'answered', 'open') AS status
FROM reviews FINAL
WHERE action = 'REQUEST_EXPLANATION' OR request_id != ''
GROUP BY id
HAVING countIf(action = 'REQUEST_EXPLANATION') > 0;
