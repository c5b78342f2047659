-- The go-live mode each hit was recorded under (rules/params.yaml `mode`, `facility_modes`):
-- 'enforce', 'warn' (a REJECT/PARTIAL rule acting as a WARNING) or 'observe' (recorded only, no
-- effect on the outcome). Rows written before modes existed were all enforced. Alone in its
-- migration: an ALTER cannot be re-run on 18.16 (no ADD COLUMN IF NOT EXISTS).
ALTER TABLE rule_hits
    ADD COLUMN mode String DEFAULT 'enforce';
