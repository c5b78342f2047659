-- Who made a decision revision: reviewed_by names the appraiser and review_id the hi.reviews
-- event behind it ('' for an automatic revision). Alone in its migration: an ALTER cannot be
-- re-run on 18.16 (no ADD COLUMN IF NOT EXISTS). The review trail's tables: 0012_reviews.
ALTER TABLE decisions
    ADD COLUMN reviewed_by String DEFAULT '',
    ADD COLUMN review_id String DEFAULT '';
