"""Shared helpers for the diagnosis tests: the shipped policy, a dated-policy builder, a one-call judge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from connectsbot.diagnosis import Diagnosis, diagnose, parse_timeline
from connectsbot.kbfiles import POLICY_FILE, load_policy, parse_policy
from connectsbot.knowledge import Policy
from tests.helpers import SHIPPED_KNOWLEDGE

SHIPPED_POLICY = load_policy(SHIPPED_KNOWLEDGE)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def judge(text: str, now: datetime = NOW, policy: Policy = SHIPPED_POLICY) -> Diagnosis:
    return diagnose(parse_timeline(text, now), policy, now)


def verdicts(diagnosis: Diagnosis) -> list[tuple[str, str, str, int]]:
    return [(item.job, item.verdict, item.reason, item.connects) for item in diagnosis.items]


def shipped_policy_data() -> dict[str, Any]:
    """The shipped policy.yaml as plain data, to change in a test and read back with `policy_from`."""
    data: dict[str, Any] = yaml.safe_load((SHIPPED_KNOWLEDGE / POLICY_FILE).read_text(encoding="utf-8"))
    return data


def policy_from(data: dict[str, Any]) -> Policy:
    return parse_policy(yaml.safe_dump(data))


def policy_with(name: str, effective_from: str, value: Any) -> Policy:
    """The shipped policy plus one later dated value of parameter `name`."""
    data = shipped_policy_data()
    data[name]["values"].append(
        {
            "effective_from": effective_from,
            "value": value,
            "as_of": "2026-12-01",
            "cites": {"source": "connectsbot-defaults", "supports": "a test of a dated change"},
        }
    )
    return policy_from(data)


def timeline(*lines: str) -> str:
    return "\n".join(lines) + "\n"
