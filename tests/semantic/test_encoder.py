"""The numpy runtime gives sentence-transformers' vectors (made by bench/make_embedding_fixture.py)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectsbot.semantic import MODEL_NAME, SentenceEncoder, open_encoder
from connectsbot.semantic.load import model_dir

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return open_encoder(enabled=True)


def test_vectors_match_sentence_transformers(encoder: SentenceEncoder) -> None:
    texts = json.loads((FIXTURES / "embedding_texts.json").read_text(encoding="utf-8"))
    reference = np.load(FIXTURES / "st_vectors.npy")
    assert len(texts) >= 200 and reference.shape == (len(texts), 384)
    vectors = encoder.encode(texts)
    cosines = (vectors * reference).sum(axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, f"cosine {cosines[worst]:.6f} for {texts[worst][:80]!r}"
    # Some of them are longer than the model's 256 word pieces, so truncation is checked as well.
    assert sum(len(encoder._tokenizer.encode(t).ids) >= encoder.max_tokens for t in texts) >= 5
    assert "torch" not in sys.modules


def test_vectors_are_unit_float32_in_input_order(encoder: SentenceEncoder) -> None:
    texts = ["a much longer question about how many connects a proposal costs", "hi", "", "connects"]
    together = encoder.encode(texts, batch_size=2)
    assert together.dtype == np.float32 and together.shape == (4, encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Sorting by length and padding within a batch changes nothing: each text alone gives the same vector.
    for text, vector in zip(texts, together, strict=True):
        np.testing.assert_allclose(encoder.encode([text])[0], vector, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dim)


def test_model_id_names_the_model_and_its_weights(encoder: SentenceEncoder) -> None:
    digest = hashlib.sha256((model_dir() / "model.safetensors").read_bytes()).hexdigest()
    assert encoder.model_id == f"{MODEL_NAME}@{digest[:12]}"
    assert encoder.dim == 384 and encoder.max_tokens == 256


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=3000), min_size=1, max_size=4))
def test_any_text_gives_a_finite_unit_vector(encoder: SentenceEncoder, texts: list[str]) -> None:
    vectors = encoder.encode(texts)
    assert vectors.shape == (len(texts), encoder.dim) and np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
