"""Checks across the whole knowledge base: `kb validate` (errors) and `kb lint` (findings)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from itertools import combinations

from rapidfuzz import fuzz

from connectsbot.kbfiles import LoadedFolder, Problem
from connectsbot.models import Entry, Policy, normalise_alias

SEED_NAME = re.compile(r"^[\w.-]+\.(txt|md|html|pdf)$")
STALE_AFTER = timedelta(days=365)
# Two phrasings of different entries this alike leave the matcher guessing.
CONFUSABLE_SCORE = 90.0


def check_entries(entries: Mapping[str, Entry], files: Mapping[str, str], today: date) -> list[Problem]:
    """Errors that involve one entry against the others (aliases, related ids, dates, sources)."""
    problems: list[Problem] = []
    owners: dict[str, set[str]] = {}
    for entry_id, entry in entries.items():
        for text in (entry.question, *entry.aliases):
            owners.setdefault(normalise_alias(text), set()).add(entry_id)
    for entry_id, entry in entries.items():
        file = files.get(entry_id, entry_id)
        for kind, text in [("question", entry.question), *(("aliases", a) for a in entry.aliases)]:
            others = sorted(owners[normalise_alias(text)] - {entry_id})
            if others:
                names = ", ".join(repr(other) for other in others)
                problems.append(Problem(file, kind, f"{text!r} is also a question or alias of {names}"))
        for related in entry.related:
            if related not in entries:
                problems.append(Problem(file, "related", f"unknown entry id {related!r}"))
        if entry.as_of > today:
            problems.append(Problem(file, "as_of", f"{entry.as_of} is in the future"))
        for index, source in enumerate(entry.sources):
            where = f"sources.{index}"
            if not SEED_NAME.match(source.seed):
                problems.append(Problem(file, f"{where}.seed", f"{source.seed!r} is not a source file name"))
            if source.stated is not None and source.stated > entry.as_of:
                problems.append(Problem(file, f"{where}.stated", "stated after the entry's as_of date"))
    return problems


def validate_folder(loaded: LoadedFolder, today: date) -> list[Problem]:
    """Everything `kb validate` reports: file-level problems, then cross-entry errors."""
    files = {entry_id: str(path) for entry_id, path in loaded.files.items()}
    return [*loaded.problems, *check_entries(loaded.entries, files, today)]


# Figures the answers state. A sentence that mentions older or third-party sources is
# history, not a current claim, and is not compared.
HEDGES = re.compile(
    r"\b(older|old|outdated|earlier|previous(?:ly)?|used to|blogs?|third[- ]party|elance"
    r"|some (?:sites|articles|posts))\b",
    re.IGNORECASE,
)
FIGURES: dict[str, re.Pattern[str]] = {
    "monthly Connects on Freelancer Plus": re.compile(
        r"\bplus\b[^.\n]*?\b(\d+)\s+(?:free\s+)?connects\b[^.\n]*?\b(?:a|per|each|every)\s+month", re.I
    ),
    "monthly Connects on the Basic plan": re.compile(
        r"\bbasic\b[^.\n]*?\b(\d+)\s+(?:free\s+)?connects\b[^.\n]*?\b(?:a|per|each|every)\s+month", re.I
    ),
    "Connects rollover limit": re.compile(r"\broll(?:s)?[ -]?over\b[^.\n]*?\b(\d+)\s+connects\b", re.I),
    "Connects for the Readiness Test": re.compile(
        r"\breadiness test\b[^.\n]*?\b(\d+)\s+(?:free\s+|extra\s+|more\s+)?connects\b", re.I
    ),
}
POLICY_FIGURES: dict[str, tuple[str, re.Pattern[str]]] = {
    "weekly_cap": (
        "interview Connects cap per 7 days",
        re.compile(r"\b(\d+)\s+(?:interview\s+)?connects\b[^.\n]*?\b(?:7|seven)[- ]days?\b", re.I),
    ),
}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def current_figures(entry: Entry) -> dict[str, set[int]]:
    """The figures an entry states as current, by what they measure."""
    found: dict[str, set[int]] = {}
    if entry.category == "legacy":
        return found
    patterns = {**FIGURES, **{label: pattern for label, pattern in POLICY_FIGURES.values()}}
    for sentence in _sentences(entry.answer):
        if HEDGES.search(sentence):
            continue
        for label, pattern in patterns.items():
            for match in pattern.finditer(sentence):
                found.setdefault(label, set()).add(int(match.group(1)))
    return found


def lint(
    entries: Mapping[str, Entry], files: Mapping[str, str], policy: Policy | None, today: date
) -> list[Problem]:
    """Findings beyond validity: confusable phrasings, stale entries, figures that disagree."""
    findings: list[Problem] = []
    for entry_id, entry in sorted(entries.items()):
        if today - entry.as_of > STALE_AFTER:
            findings.append(
                Problem(
                    files.get(entry_id, entry_id),
                    "as_of",
                    f"last checked {entry.as_of}, over a year ago: re-check it against the sources",
                    "warning",
                )
            )
    findings.extend(_confusable(entries, files))
    findings.extend(_disagreeing_figures(entries, files, policy))
    return findings


def _confusable(entries: Mapping[str, Entry], files: Mapping[str, str]) -> list[Problem]:
    phrasings = [
        (entry_id, text, normalise_alias(text))
        for entry_id, entry in sorted(entries.items())
        for text in (entry.question, *entry.aliases)
    ]
    findings = []
    for (id_a, text_a, key_a), (id_b, text_b, key_b) in combinations(phrasings, 2):
        if id_a == id_b:
            continue
        score = fuzz.token_sort_ratio(key_a, key_b)
        if score >= CONFUSABLE_SCORE:
            findings.append(
                Problem(
                    files.get(id_a, id_a),
                    "aliases",
                    f"{text_a!r} is {score:.0f}% like {text_b!r} of {id_b!r}: the matcher may confuse them",
                    "warning",
                )
            )
    return findings


def _disagreeing_figures(
    entries: Mapping[str, Entry], files: Mapping[str, str], policy: Policy | None
) -> list[Problem]:
    stated: dict[str, dict[int, list[str]]] = {}
    for entry_id, entry in sorted(entries.items()):
        for label, values in current_figures(entry).items():
            for value in values:
                stated.setdefault(label, {}).setdefault(value, []).append(entry_id)
    findings = []
    for label, by_value in sorted(stated.items()):
        if len(by_value) > 1:
            detail = "; ".join(f"{value} in {', '.join(ids)}" for value, ids in sorted(by_value.items()))
            first = next(iter(sorted(by_value.items())))[1][0]
            findings.append(Problem(files.get(first, first), "answer", f"{label} disagree: {detail}"))
    if policy is not None:
        for name, (label, _) in POLICY_FIGURES.items():
            current = int(policy.number_at(name, _far_future()))
            for value, ids in sorted(stated.get(label, {}).items()):
                if value != current:
                    findings.extend(
                        Problem(
                            files.get(entry_id, entry_id),
                            "answer",
                            f"states {value} as the {label}; policy.yaml says {current}",
                        )
                        for entry_id in ids
                    )
    return findings


def _far_future() -> datetime:
    return datetime(9999, 1, 1, tzinfo=UTC)
