-- The review views of 0012, re-created (a view's columns are fixed when it is created; 0009 did
-- the same for current_rule_hits).
--
-- rule_quality counts only the verdicts of reviews the worker applied: a review made on a revision
-- that had changed meanwhile (stale), or refused as a dead letter, changed nothing, and its keys
-- may name findings that are no longer there. A review was applied when a decision revision
-- carries its review_id, and that revision number orders the verdicts on one finding exactly
-- (`at` has whole seconds only). It gains confirmed_amount beside the other amounts.
--
-- explanations gains the request's lines (what a REJECT_LINES proposal would cut), which the
-- portal shows the facility with the question.
DROP TABLE IF EXISTS rule_quality;

CREATE VIEW IF NOT EXISTS rule_quality AS
SELECT
    code,
    count() AS reviewed,
    countIf(last_verdict = 'CONFIRMED') AS confirmed,
    countIf(last_verdict = 'CLEARED') AS cleared,
    countIf(last_verdict = 'CHANGED') AS changed,
    sum(last_amount) AS amount,
    sumIf(last_amount, last_verdict = 'CONFIRMED') AS confirmed_amount,
    sumIf(last_amount, last_verdict = 'CLEARED') AS cleared_amount,
    sumIf(last_amount, last_verdict = 'CHANGED') AS changed_amount,
    countIf(last_verdict = 'CLEARED') / count() AS cleared_share
FROM
(
    SELECT facility, claim_id, version, hit_key, any(code) AS code,
           argMax(verdict, revision) AS last_verdict, argMax(amount, revision) AS last_amount
    FROM
    (
        SELECT facility, claim_id, version, hit_key, review_id, code, verdict, amount
        FROM review_hits FINAL
    )
    ANY INNER JOIN
    (
        SELECT facility, claim_id, version, review_id, revision
        FROM decision_revisions FINAL
        WHERE review_id != ''
    )
    USING (facility, claim_id, version, review_id)
    GROUP BY facility, claim_id, version, hit_key
)
GROUP BY code;

DROP TABLE IF EXISTS explanations;

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
            answers > 0, 'answered', 'open') AS status,
    anyIf(line_tables, action = 'REQUEST_EXPLANATION') AS line_tables,
    anyIf(line_numbers, action = 'REQUEST_EXPLANATION') AS line_numbers,
    anyIf(line_amounts, action = 'REQUEST_EXPLANATION') AS line_amounts
FROM reviews FINAL
WHERE action = 'REQUEST_EXPLANATION' OR request_id != ''
GROUP BY id
HAVING countIf(action = 'REQUEST_EXPLANATION') > 0;
