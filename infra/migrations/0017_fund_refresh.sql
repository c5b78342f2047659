-- Where the continuous facility_day refresh stands: claims and decisions stored after
-- `watermark` (less a safety margin, settings.fund_refresh_margin_seconds) are not in
-- facility_day yet. One row per refresh loop name; the latest wins. No date in the identity,
-- hence no partition key.
CREATE TABLE IF NOT EXISTS fund_refresh
(
    name          String,
    watermark     DateTime('UTC'),
    refreshed_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(refreshed_at)
ORDER BY (name);
