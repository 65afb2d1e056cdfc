-- Helpful / not helpful votes on answers: one vote per member (salted hash) per answer message.
CREATE TABLE feedback (
    answer_key TEXT NOT NULL,
    voter TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    guild_id TEXT,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_key, voter)
);
CREATE INDEX feedback_by_entry ON feedback (entry_id);

-- Unanswered questions a moderator dealt with (turned into an entry or an alias of one).
ALTER TABLE questions ADD COLUMN resolved_entry_id TEXT;
ALTER TABLE questions ADD COLUMN resolved_at TEXT;
CREATE INDEX questions_by_day ON questions (asked_at);
