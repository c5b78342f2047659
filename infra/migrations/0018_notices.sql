-- Monthly notices to facilities about unusual rises in HI costs (docs/fund-pages.md), one row
-- per facility and month, written by `hireview notices` and updated by the portal (fetched,
-- acknowledged) and by the next month's run (followup).
--
-- A status change writes the whole row again with a later updated_at; FINAL (or a merge) keeps
-- the latest. The version is updated_at, not issued_at: issued_at must stay the day the notice
-- went out while its status moves on. anomaly_ids are the `anomalies` rows the notice quotes,
-- so the portal renders the same notice again from them. month_start (the month's first day)
-- partitions by month as every table here, on a value fixed per key: the versions of one
-- notice stay in one partition, where FINAL collapses them.
CREATE TABLE IF NOT EXISTS notices
(
    notice_id        String,
    facility         String,
    province         String,
    month            UInt32,
    month_start      Date,
    anomaly_ids      Array(String),
    issued_at        DateTime('UTC'),
    status           String,
    followup         String,
    fetched_at       DateTime('UTC'),
    acknowledged_at  DateTime('UTC'),
    acknowledged_by  String,
    updated_at       DateTime('UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(month_start)
ORDER BY (facility, month);
