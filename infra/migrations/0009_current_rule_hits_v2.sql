-- A view's columns are fixed when it is created (`SELECT *` is expanded then, on 18.16 and on
-- modern servers alike), so current_rule_hits is re-created to show the columns 0006 added. Same
-- query as in 0004_rule_hits.
DROP TABLE IF EXISTS current_rule_hits;

CREATE VIEW IF NOT EXISTS current_rule_hits AS
SELECT *
FROM rule_hits FINAL
WHERE (facility, claim_id, version, revision) IN
    (SELECT facility, claim_id, version, revision FROM decisions FINAL);
