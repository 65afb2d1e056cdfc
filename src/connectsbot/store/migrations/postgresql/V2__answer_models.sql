-- Trained answer models by fingerprint (what they were trained on), so that processes sharing one
-- database train each model once: the process holding the jobs lock trains and saves it, the others
-- read it. `model` is the AnswerModel as JSON ("null": too few labelled questions to train one).
CREATE TABLE answer_models (
    fingerprint TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    trained_at TEXT NOT NULL
);
CREATE INDEX answer_models_by_age ON answer_models (trained_at);
