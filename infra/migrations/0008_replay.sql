-- What-if replays (`hireview replay`): one row per run, and the re-appraised decision of every
-- claim version in the run beside the real one it was compared with.
--
-- replay_runs: written when a run starts (ver 0, status 'running') and again when it ends
-- (ver 1, 'done' / 'failed', with the counts); ReplacingMergeTree(ver) keeps the last.
-- Both rows of a run share started_at, hence a partition. `rules` is what the user asked for
-- (a params file path or `current`), `rules_version` the engine fingerprint of the results.
CREATE TABLE IF NOT EXISTS replay_runs
(
    run_id           String,
    rules            String,
    rules_version    String,
    date_from        Date,
    date_to          Date,
    facility         String,
    retroactive      UInt8,
    workers          UInt16,
    status           String,
    started_at       DateTime('UTC'),
    finished_at      DateTime('UTC'),
    claims           UInt64,
    undecided        UInt64,
    affected         UInt64,
    outcome_changes  UInt64,
    approved_delta   Decimal(18, 2),
    ver              UInt64
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMM(started_at)
ORDER BY (run_id);

-- replay_decisions: the decision columns of `decisions`, the hits as parallel arrays (one
-- element per hit; one table keeps a replay to one INSERT per batch), and the real current
-- decision (highest revision) it is compared with: real_revision 0 = no decision stored yet.
-- changed = 1 when outcome, approved amount or the set of hit codes differ.
CREATE TABLE IF NOT EXISTS replay_decisions
(
    run_id              String,
    facility            String,
    claim_id            String,
    version             UInt32,
    person_key          String,
    service_date        Date,
    outcome             String,
    requested           Decimal(18, 2),
    approved            Decimal(18, 2),
    rejected            Decimal(18, 2),
    rules_version       String,
    hit_code            Array(String),
    hit_severity        Array(String),
    hit_rule_version    Array(String),
    hit_table           Array(String),
    hit_line            Array(Int32),
    hit_amount          Array(Decimal(18, 2)),
    real_revision       UInt32,
    real_outcome        String,
    real_approved       Decimal(18, 2),
    real_rules_version  String,
    real_hit_codes      Array(String),
    changed             UInt8,
    replayed_at         DateTime('UTC')
)
ENGINE = ReplacingMergeTree(replayed_at)
PARTITION BY toYYYYMM(service_date)
ORDER BY (run_id, facility, claim_id, version);
