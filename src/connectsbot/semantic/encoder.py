"""all-MiniLM-L6-v2 sentence embeddings without torch: the same vectors as sentence-transformers.

The model's word pieces come from HF `tokenizers` (its own tokenizer.json), the weights from
`safetensors` as numpy arrays, and the 6-layer BERT runs in numpy: mean pooling over the real tokens,
then L2 normalisation, with sentence-transformers' truncation at 256 word pieces. The vectors agree
with sentence-transformers' to a cosine of at least 0.9999 (tests/semantic/test_encoder.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]
MODEL_NAME = "all-MiniLM-L6-v2"
# sentence-transformers' max_seq_length for this model (sentence_bert_config.json); tokenizer.json says 128.
DEFAULT_MAX_TOKENS = 256
DEFAULT_BATCH_SIZE = 32
# Padded word pieces per forward pass: 32 questions of 64, or 8 texts of 256 (about 60 MB of activations).
BATCH_TOKENS = 2048
# GELU runs over this many word pieces at a time: its dozen passes then stay in the CPU cache (3x faster
# than over the whole batch at once).
GELU_ROWS = 16
_QKV = ("query", "key", "value")


class Encoder(Protocol):
    """What the async wrapper and the vector cache need from an encoder (a fake will do in tests)."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def words(self) -> frozenset[str]: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


@dataclass(frozen=True)
class _Layer:
    qkv: Vectors  # (hidden, 3 * hidden): query, key and value projections in one matrix product
    qkv_bias: Vectors
    attn_out: Vectors
    attn_out_bias: Vectors
    attn_norm: tuple[Vectors, Vectors]
    up: Vectors
    up_bias: Vectors
    down: Vectors
    down_bias: Vectors
    out_norm: tuple[Vectors, Vectors]


def _gelu(x: Vectors) -> Vectors:
    """BERT's exact GELU, x·Φ(x), with erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26; numpy has no erf).

    Written as max(x, 0) - |x|·Φ(-|x|) and computed in place: it runs over the widest activations of
    the model, and a plain expression of it took longer than the matrix product before it.
    """
    absolute = np.abs(x)
    z = absolute * np.float32(0.7071067811865476)  # |x| / sqrt(2)
    t = z * np.float32(0.3275911)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    tail = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        tail += np.float32(coefficient)
        tail *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z  # 1 - erf(|x| / sqrt(2))
    tail *= np.float32(0.5)  # Φ(-|x|)
    tail *= absolute
    gelu = np.maximum(x, np.float32(0.0))
    gelu -= tail
    return gelu


def _layer_norm(x: Vectors, norm: tuple[Vectors, Vectors], eps: float) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    normed: Vectors = (centred / np.sqrt(var + np.float32(eps)) * norm[0] + norm[1]).astype(
        np.float32, copy=False
    )
    return normed


def _norm(weights: dict[str, Vectors], prefix: str) -> tuple[Vectors, Vectors]:
    return weights.pop(prefix + ".weight"), weights.pop(prefix + ".bias")


def weights_digest(path: Path) -> str:
    """sha256 of the weights file, read in chunks (the file is 90 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as weights:
        while chunk := weights.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class SentenceEncoder:
    """A loaded all-MiniLM-L6-v2 (or any BERT sentence-transformers model laid out the same way).

    `encode` is synchronous and CPU-bound: call it from a worker thread (`AsyncEncoder` does), never
    on the event loop. It is safe to call from several threads at once (nothing is mutated).
    """

    def __init__(self, model_dir: Path, max_tokens: int | None = None, name: str | None = None) -> None:
        from safetensors.numpy import load_file
        from threadpoolctl import threadpool_limits
        from tokenizers import Tokenizer

        # One BLAS thread for the whole process: the bot answers on one core, and on a busy 2-CPU machine
        # OpenBLAS's default two threads made one question 5x slower (86 ms against 17 ms, p50) as they
        # waited for each other. Questions run in parallel through batching instead.
        threadpool_limits(limits=1, user_api="blas")

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{model_dir}: only mean pooling is supported")
        st_config = model_dir / "sentence_bert_config.json"
        if max_tokens is None:
            max_tokens = DEFAULT_MAX_TOKENS
            if st_config.is_file():
                max_tokens = int(json.loads(st_config.read_text(encoding="utf-8"))["max_seq_length"])
        weights_file = model_dir / "model.safetensors"
        self.model_id = f"{name or model_dir.name}@{weights_digest(weights_file)[:12]}"
        self.max_tokens = max_tokens
        self.dim = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()  # batches are padded here, after sorting by length
        self._tokenizer.enable_truncation(max_length=max_tokens)  # counts [CLS] and [SEP], like s-t

        # Each array is taken out of the dict as it is used, so an original is freed as soon as its
        # transposed copy exists: the load peaks about 90 MB lower.
        w = load_file(str(weights_file))
        self._word = w.pop("embeddings.word_embeddings.weight")
        self._position = w.pop("embeddings.position_embeddings.weight")
        self._token_type = w.pop("embeddings.token_type_embeddings.weight")[0]
        self._embed_norm = _norm(w, "embeddings.LayerNorm")
        self._layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            attention = p + "attention.self."
            self._layers.append(
                _Layer(
                    # Weights are stored (out, in); pre-transposed contiguous copies multiply fastest.
                    qkv=np.ascontiguousarray(
                        np.concatenate([w.pop(attention + part + ".weight") for part in _QKV]).T
                    ),
                    qkv_bias=np.concatenate([w.pop(attention + part + ".bias") for part in _QKV]),
                    attn_out=np.ascontiguousarray(w.pop(p + "attention.output.dense.weight").T),
                    attn_out_bias=w.pop(p + "attention.output.dense.bias"),
                    attn_norm=_norm(w, p + "attention.output.LayerNorm"),
                    up=np.ascontiguousarray(w.pop(p + "intermediate.dense.weight").T),
                    up_bias=w.pop(p + "intermediate.dense.bias"),
                    down=np.ascontiguousarray(w.pop(p + "output.dense.weight").T),
                    down_bias=w.pop(p + "output.dense.bias"),
                    out_norm=_norm(w, p + "output.LayerNorm"),
                )
            )

    @property
    def words(self) -> frozenset[str]:
        """The whole words the model knows (its vocabulary less word pieces and special tokens): the
        spelling correction leaves these alone."""
        return frozenset(t for t in self._tokenizer.get_vocab() if t.isalpha() and t.islower())

    def encode(self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE) -> Vectors:
        """L2-normalised sentence vectors, float32 (len(texts), dim), in the order of `texts`.

        Texts are encoded in batches of similar length, so short questions are not padded to a long one,
        and of at most BATCH_TOKENS padded word pieces, so long texts do not take hundreds of MB at once.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        pieces = [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(texts)), key=lambda i: len(pieces[i]))
        start = 0
        while start < len(order):
            # Sorted by length, so the batch's last text is its longest: it sets the padded length.
            end = start + 1
            while (
                end < len(order)
                and end - start < batch_size
                and (end - start + 1) * len(pieces[order[end]]) <= BATCH_TOKENS
            ):
                end += 1
            chunk = order[start:end]
            length = len(pieces[chunk[-1]])
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                ids[row, : len(pieces[i])] = pieces[i]
                mask[row, : len(pieces[i])] = 1.0
            out[chunk] = self._forward(ids, mask)
            start = end
        return out

    def _forward(self, ids: npt.NDArray[np.int64], mask: Vectors) -> Vectors:
        batch, length = ids.shape
        hidden = (self._word[ids] + self._position[:length] + self._token_type).reshape(
            batch * length, self.dim
        )
        # Dense layers work on all word pieces of the batch as one (batch * length, dim) matrix.
        x = _layer_norm(hidden, self._embed_norm, self._eps)
        heads, size = self._heads, self.dim // self._heads
        # Padding gets the most negative float added before the softmax, as in transformers' BERT.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self._layers:
            qkv = x @ layer.qkv
            qkv += layer.qkv_bias
            q, k, v = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)  # (b, h, l, s) each
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, self.dim)
            attended = context @ layer.attn_out
            attended += layer.attn_out_bias
            attended += x
            x = _layer_norm(attended, layer.attn_norm, self._eps)
            up: Vectors = x @ layer.up
            up += layer.up_bias
            for row in range(0, up.shape[0], GELU_ROWS):
                up[row : row + GELU_ROWS] = _gelu(up[row : row + GELU_ROWS])
            down: Vectors = up @ layer.down
            down += layer.down_bias
            down += x
            x = _layer_norm(down, layer.out_norm, self._eps)
        tokens = x.reshape(batch, length, self.dim)
        summed = (tokens * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)
        return unit
