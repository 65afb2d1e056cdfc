-- Live entries point at their head revision; revisions are append-only snapshots.
CREATE TABLE entries (
    id TEXT PRIMARY KEY,
    head_revision INTEGER NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    -- sha256 of the knowledge file last imported, and the revision that import wrote:
    -- head_revision <> imported_revision means a moderator changed it since.
    file_digest TEXT,
    imported_revision INTEGER
);

CREATE TABLE revisions (
    entry_id TEXT NOT NULL REFERENCES entries (id),
    revision INTEGER NOT NULL,
    action TEXT NOT NULL,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retired INTEGER NOT NULL,
    changed_fields TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (entry_id, revision)
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every question asked: text kept only for those nothing answered (for moderators).
CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    asker TEXT NOT NULL,
    guild_id TEXT,
    channel TEXT NOT NULL,
    decision TEXT NOT NULL,
    entry_id TEXT,
    score REAL NOT NULL,
    question TEXT,
    suggestions TEXT NOT NULL,
    picked_entry_id TEXT,
    picked_at TEXT
);
CREATE INDEX questions_by_decision ON questions (decision, asked_at);
CREATE INDEX questions_by_entry ON questions (entry_id);
