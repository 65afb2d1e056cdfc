"""Shared helpers for the diagnosis tests: the shipped policy, a dated-policy builder, a one-call judge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from connectsbot.diagnosis import Diagnosis, diagnose, parse_timeline
from connectsbot.kbfiles import load_policy
from connectsbot.knowledge import Policy
from tests.helpers import SHIPPED_KNOWLEDGE

SHIPPED_POLICY = load_policy(SHIPPED_KNOWLEDGE)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def judge(text: str, now: datetime = NOW, policy: Policy = SHIPPED_POLICY) -> Diagnosis:
    return diagnose(parse_timeline(text, now), policy, now)


def verdicts(diagnosis: Diagnosis) -> list[tuple[str, str, str, int]]:
    return [(item.job, item.verdict, item.reason, item.connects) for item in diagnosis.items]


def policy_with(name: str, effective_from: str, value: Any) -> Policy:
    """The shipped policy plus one later dated value of parameter `name`."""
    data = yaml.safe_load((SHIPPED_KNOWLEDGE / "policy.yaml").read_text(encoding="utf-8"))
    data[name]["values"].append(
        {
            "effective_from": effective_from,
            "value": value,
            "as_of": "2026-12-01",
            "cites": {"source": "connectsbot-defaults", "supports": "a test of a dated change"},
        }
    )
    return Policy.model_validate(data)


def timeline(*lines: str) -> str:
    return "\n".join(lines) + "\n"
