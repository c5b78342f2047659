-- What hireview detect found: one row per facility, metric and period (a calendar month),
-- the same record as the JSON on hi.anomalies (docs/fund-monitoring.md lists every column).
--
-- anomaly_id = hash of facility|metric|period_start, so a run over the same months rewrites the
-- same keys and the latest run wins (ReplacingMergeTree(detected_at)). A month that a later run
-- no longer flags (its data were revised) is rewritten with level 'cleared': readers of
-- level = 'notice' or 'watch' then no longer see it. period_start fixes the partition.
CREATE TABLE IF NOT EXISTS anomalies
(
    anomaly_id       String,
    run_id           String,
    facility         String,
    province         String,
    metric           String,
    period_start     Date,
    period_end       Date,
    level            String,
    observed         Float64,
    expected         Float64,
    peer_low         Float64,
    peer_high        Float64,
    peer_percentile  Float64,
    score            Float64,
    cusum            Float64,
    volume           UInt64,
    excess_cost      Float64,
    rank             UInt32,
    explanation_vi   String,
    explanation_en   String,
    detected_at      DateTime('UTC'),
    peer_low3        Float64,
    peer_high3       Float64,
    peer_target      Float64,
    peer_z           Float64,
    peers            UInt32,
    peer_scope       String,
    alarm_day        Date
)
ENGINE = ReplacingMergeTree(detected_at)
PARTITION BY toYYYYMM(period_start)
ORDER BY (facility, metric, period_start);

-- One row per detector run: what it covered and found, for operators and the benchmark.
CREATE TABLE IF NOT EXISTS detect_runs
(
    run_id       String,
    started_at   DateTime('UTC'),
    seconds      Float64,
    first_day    Date,
    last_day     Date,
    facilities   UInt32,
    rows         UInt64,
    anomalies    UInt32,
    notices      UInt32,
    ingested_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(first_day)
ORDER BY (run_id);
