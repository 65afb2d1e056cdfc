"""The semantic signal: all-MiniLM-L6-v2 sentence vectors without torch, their cache, an async batcher.

encoder = load_encoder()             # None (and a logged reason) when off or not installed
if encoder is not None:
    entries = (await encode_cached(store, encoder, texts)).vectors   # (n, 384), cached by text
    questions = AsyncEncoder(encoder)
    vector = await questions.encode("do connects roll over")         # (384,), off the event loop
    cosines = entries @ vector                                       # vectors are L2-normalised
"""

from connectsbot.semantic.batcher import AsyncEncoder
from connectsbot.semantic.cache import CachedVectors, encode_cached, forget_memo, text_digest
from connectsbot.semantic.encoder import MODEL_NAME, Encoder, SentenceEncoder, Vectors
from connectsbot.semantic.load import (
    SemanticUnavailable,
    load_encoder,
    open_encoder,
    semantic_enabled,
    unavailable_reason,
)

__all__ = [
    "MODEL_NAME",
    "AsyncEncoder",
    "CachedVectors",
    "Encoder",
    "SemanticUnavailable",
    "SentenceEncoder",
    "Vectors",
    "encode_cached",
    "forget_memo",
    "load_encoder",
    "open_encoder",
    "semantic_enabled",
    "text_digest",
    "unavailable_reason",
]
