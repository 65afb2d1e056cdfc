-- One vote per member per entry per day, whichever answer messages show the entry (issue 14: 25
-- private answers of one entry, Helpful under each, were 25 votes). A vote still belongs to its first
-- answer message too: a later click there changes it.
ALTER TABLE feedback ADD COLUMN voted_on TEXT NOT NULL DEFAULT '';
UPDATE feedback SET voted_on = substr(voted_at, 1, 10);
-- Votes cast before this rule: of one member's votes on one entry on one day, the last one stands.
DELETE FROM feedback WHERE EXISTS (
    SELECT 1 FROM feedback AS later
    WHERE later.voter = feedback.voter AND later.entry_id = feedback.entry_id
        AND later.voted_on = feedback.voted_on
        AND (later.voted_at > feedback.voted_at
            OR (later.voted_at = feedback.voted_at AND later.rowid > feedback.rowid))
);
CREATE UNIQUE INDEX feedback_one_per_day ON feedback (voter, entry_id, voted_on);
