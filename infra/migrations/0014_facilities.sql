-- The facility register: what a facility code does not say about the facility (its district,
-- tier and kind), for peer groups and the agency's district scopes (docs/fund-monitoring.md).
--
-- Fed by `hireview facilities load CSV` (the same CSV the portal and the web app read for
-- districts, with the optional columns name, tier, kind). A facility loaded again replaces
-- its row: ReplacingMergeTree(ingested_at) keyed by the facility alone, read with FINAL.
-- No partition key: the identity (facility) has no date, and copies of one key must share a
-- partition to collapse.
CREATE TABLE IF NOT EXISTS facilities
(
    facility     String,
    name         String,
    province     String,
    district     String,
    tier         UInt8,
    kind         String,
    ingested_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (facility);
