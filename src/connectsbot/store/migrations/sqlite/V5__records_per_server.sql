-- Records per server (issue 14). Questions and votes already carry the server they came from
-- (guild_id, NULL for direct messages); moderators now read them per server, so index by it.
CREATE INDEX questions_by_server ON questions (guild_id, decision, asked_at);
CREATE INDEX feedback_by_server ON feedback (guild_id, voted_at);
-- Members told, on their first question in direct messages, that moderators read unanswered
-- questions: one row per member (hashed like askers), so they are told once.
CREATE TABLE direct_message_notices (
    member TEXT PRIMARY KEY,
    told_at TEXT NOT NULL
);
-- Questions asked in direct messages before now were kept without telling the member that moderators
-- read them: keep them counted (stats) but drop their text, so no moderator reads them.
UPDATE questions SET question = NULL WHERE guild_id IS NULL AND question IS NOT NULL;
-- The asker salt leaves the database (a file beside it now, see connectsbot.store.asker_salt): with
-- the salt and the database, anyone could recompute a member's hash from their public user id. Hashes
-- made with it stay as they were: they still tell one member's questions apart, but no longer match
-- what the new salt makes (a member's old votes no longer stop a new one on the same answer).
-- secure_delete overwrites the freed row instead of leaving it in a free page of the file.
PRAGMA secure_delete = ON;
DELETE FROM meta WHERE key = 'asker_salt';
