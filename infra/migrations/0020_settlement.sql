-- The settlement ledger (docs/settlement.md): what each closed settlement counted, claim by
-- claim, and its totals; the advances paid to facilities; the versioned settlement parameters.
--
-- A settlement is closed once per facility, period kind (month, quarter, year) and period, and is
-- never rewritten: `hireview settle` refuses to close it again. settlement_entries keeps one row
-- per claim a settlement counted. For the claims of the period itself the row is the claim's
-- state at closing; for a claim of an earlier period whose decision changed after that period
-- closed (a late revision, a review that ended), the row is the difference between its state now
-- and everything the chain already counted for it: an adjustment. The sum of a claim's rows in a
-- chain is therefore always its latest settled state, and a replayed close collapses on the key.
CREATE TABLE IF NOT EXISTS settlement_entries
(
    facility         String,
    province         String,
    period_kind      String,
    period           String,
    period_start     Date,
    claim_id         String,
    version          UInt32,
    revision         UInt32,
    service_date     Date,
    origin_period    String,
    entry            String,
    outcome          String,
    reviewed_by      String,
    requested        Decimal(18, 2),
    approved         Decimal(18, 2),
    rejected_rule    Decimal(18, 2),
    rejected_review  Decimal(18, 2),
    under_review     Decimal(18, 2),
    closed_at        DateTime('UTC'),
    ingested_at      DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(period_start)
ORDER BY (facility, period_kind, period, claim_id);

-- One row per closed settlement: the period's figures, the adjustments it carried, the advances
-- paid in the period, the advance policy in force and the balance (positive: the agency owes the
-- facility; negative: the facility owes the fund).
CREATE TABLE IF NOT EXISTS settlements
(
    settlement_id        String,
    facility             String,
    province             String,
    period_kind          String,
    period               String,
    period_start         Date,
    period_end           Date,
    claims               UInt32,
    requested            Decimal(18, 2),
    approved             Decimal(18, 2),
    rejected_rule        Decimal(18, 2),
    rejected_review      Decimal(18, 2),
    under_review         Decimal(18, 2),
    reviewed_claims      UInt32,
    adjustment_claims    UInt32,
    adjustment_requested Decimal(18, 2),
    adjustment_approved  Decimal(18, 2),
    adjustment_rejected  Decimal(18, 2),
    adjustment_review    Decimal(18, 2),
    advances             Decimal(18, 2),
    advance_count        UInt32,
    advance_percent      Decimal(9, 4),
    advance_policy_from  Date,
    advance_ceiling      Decimal(18, 2),
    balance              Decimal(18, 2),
    closed_at            DateTime('UTC'),
    closed_by            String,
    ingested_at          DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(period_start)
ORDER BY (facility, period_kind, period);

-- Advances the agency paid a facility (entered through the portal's agency API): data, not a
-- computation. A settlement counts those paid within its period.
CREATE TABLE IF NOT EXISTS advances
(
    advance_id   String,
    facility     String,
    province     String,
    paid_on      Date,
    amount       Decimal(18, 2),
    reference    String,
    entered_by   String,
    entered_at   DateTime('UTC'),
    ingested_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(paid_on)
ORDER BY (facility, advance_id);

-- Versioned settlement parameters (advance_percent: the share of the previous period's approved
-- cost the policy allows as an advance). A version is in force from valid_from until the next.
CREATE TABLE IF NOT EXISTS settlement_params
(
    name         String,
    valid_from   Date,
    value        Decimal(18, 4),
    reference    String,
    entered_by   String,
    entered_at   DateTime('UTC'),
    ingested_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(valid_from)
ORDER BY (name, valid_from);
