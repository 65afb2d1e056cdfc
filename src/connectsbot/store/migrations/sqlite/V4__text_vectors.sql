-- Sentence vectors of entry texts (questions, aliases, answers) and of the labelled questions the answer
-- model trains on, so a start or a knowledge-base change encodes only texts not seen before. Keyed by
-- the encoder's model_id (name and weights hash: a new model misses) and the sha256 of the text; the
-- vector is float32, little-endian (1.5 kB for 384 dimensions: a rowid table, since WITHOUT ROWID suits
-- small rows only).
CREATE TABLE text_vectors (
    model_id TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_sha256)
);
