"""Checks across the whole knowledge base: `kb validate` (errors) and `kb lint` (findings)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from itertools import combinations

from rapidfuzz import fuzz

from connectsbot.dating import is_old
from connectsbot.kbfiles import CATEGORIES_FILE, POLICY_FILE, SOURCES_FILE, LoadedFolder, Problem
from connectsbot.knowledge import (
    POLICY_PARAMETER_NAMES,
    Citation,
    Entry,
    Policy,
    PolicyAt,
    PolicyParameter,
    SourceRecord,
    normalise_alias,
    stated_span,
)
from connectsbot.matching import Matcher

STALE_AFTER = timedelta(days=365)
# Two phrasings of different entries this alike leave the matcher guessing.
CONFUSABLE_SCORE = 90.0
MISROUTED_MARGIN = 0.10  # of the lexical score (0..1)


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
            if source.stated is not None and stated_span(source.stated)[0] > entry.as_of:
                problems.append(
                    Problem(file, f"sources.{index}.stated", "stated after the entry's as_of date")
                )
    return problems


def _citation_problems(
    citation: Citation, sources: Mapping[str, SourceRecord], file: str, where: str
) -> list[Problem]:
    record = sources.get(citation.source)
    if record is None:
        return [
            Problem(file, f"{where}.source", f"unknown source {citation.source!r}: add it to {SOURCES_FILE}")
        ]
    if citation.stated is not None and citation.stated not in record.dates:
        states = f"states only {' and '.join(record.dates)}" if record.dates else "is undated"
        return [
            Problem(file, f"{where}.stated", f"{citation.stated} is not a date of {record.id}: it {states}")
        ]
    return []


def check_citations(
    entries: Mapping[str, Entry],
    files: Mapping[str, str],
    policy: Policy | None,
    sources: Mapping[str, SourceRecord],
    policy_file: str = POLICY_FILE,
) -> list[Problem]:
    """Every citation names a source of the registry, with one of the dates that source states."""
    problems: list[Problem] = []
    for entry_id, entry in entries.items():
        file = files.get(entry_id, entry_id)
        for index, citation in enumerate(entry.sources):
            problems += _citation_problems(citation, sources, file, f"sources.{index}")
    if policy is not None:
        for name in POLICY_PARAMETER_NAMES:
            parameter: PolicyParameter = getattr(policy, name)
            for index, value in enumerate(parameter.values):
                problems += _citation_problems(
                    value.cites, sources, policy_file, f"{name}.values.{index}.cites"
                )
    return problems


def validate_folder(loaded: LoadedFolder, today: date) -> list[Problem]:
    """Everything `kb validate` reports: file-level problems, then cross-entry errors."""
    files = {entry_id: str(path) for entry_id, path in loaded.files.items()}
    # Without a readable registry every citation would be reported: its own problem is enough.
    citations = (
        check_citations(loaded.entries, files, loaded.policy, loaded.sources) if loaded.sources else []
    )
    return [
        *loaded.problems,
        *check_entries(loaded.entries, files, today),
        *citations,
        *check_categories(loaded.entries, files, loaded.categories),
    ]


def check_categories(
    entries: Mapping[str, Entry], files: Mapping[str, str], categories: Mapping[str, str] | None
) -> list[Problem]:
    """Each entry whose category categories.yaml does not list, with the closest known one."""
    if categories is None:
        return []
    problems = []
    for entry_id, entry in entries.items():
        if entry.category not in categories:
            closest = max(categories, key=lambda known: fuzz.ratio(known, entry.category), default=None)
            hint = f" (did you mean {closest!r}?)" if closest else ""
            problems.append(
                Problem(
                    files.get(entry_id, entry_id),
                    "category",
                    f"unknown category {entry.category!r}{hint}; the categories are listed in "
                    f"{CATEGORIES_FILE}",
                )
            )
    return problems


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
# Figures the policy holds: how answers state each, and its value in the latest policy.
POLICY_FIGURES: dict[str, tuple[re.Pattern[str], Callable[[PolicyAt], int]]] = {
    "interview Connects cap per 7 days": (
        re.compile(r"\b(\d+)\s+(?:interview\s+)?connects\b[^.\n]*?\b(?:7|seven)[- ]days?\b", re.I),
        lambda policy: policy.weekly_cap,
    ),
}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def current_figures(entry: Entry) -> dict[str, set[int]]:
    """The figures an entry states as current, by what they measure."""
    found: dict[str, set[int]] = {}
    if entry.category == "legacy":
        return found
    patterns = {**FIGURES, **{label: pattern for label, (pattern, _) in POLICY_FIGURES.items()}}
    for sentence in _sentences(entry.answer):
        if HEDGES.search(sentence):
            continue
        for label, pattern in patterns.items():
            for match in pattern.finditer(sentence):
                found.setdefault(label, set()).add(int(match.group(1)))
    return found


# Words that present a figure as holding today: wrong in an answer whose sources are old or undated.
NOW_WORDS = re.compile(
    r"\b(current(?:ly)?|now(?! and then)|nowadays|today|latest|newest|at present|presently|these days"
    r"|up[- ]to[- ]date|still valid|as things stand)\b",
    re.IGNORECASE,
)


def dated_words(entry: Entry, sources: Mapping[str, SourceRecord], today: date) -> list[str]:
    """The "current"/"now"/"today"… words of an answer whose newest source is over two years old."""
    if not is_old(entry, sources, today):
        return []
    return list(dict.fromkeys(match.group(0) for match in NOW_WORDS.finditer(entry.answer)))


def lint(
    entries: Mapping[str, Entry],
    files: Mapping[str, str],
    policy: Policy | None,
    today: date,
    sources: Mapping[str, SourceRecord],
) -> list[Problem]:
    """Findings beyond validity: confusable phrasings, stale entries, figures that disagree, answers
    that call old figures current."""
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
    for entry_id, entry in sorted(entries.items()):
        words = dated_words(entry, sources, today)
        if words:
            quoted = ", ".join(repr(word) for word in words)
            findings.append(
                Problem(
                    files.get(entry_id, entry_id),
                    "answer",
                    f"says {quoted} but its newest source is over two years old or undated: "
                    "give the source's date instead",
                )
            )
    findings.extend(_confusable(entries, files))
    findings.extend(_misrouted_aliases(entries, files))
    findings.extend(_disagreeing_figures(entries, files, policy))
    return findings


def _misrouted_aliases(entries: Mapping[str, Entry], files: Mapping[str, str]) -> list[Problem]:
    """Aliases another entry answers better: matched without the alias itself, its own entry
    trails another by MISROUTED_MARGIN or more of the lexical score (the alias probably belongs
    there, or pulls that entry's questions to the wrong answer)."""
    if not entries:
        return []
    matcher = Matcher(entries.values())
    findings = []
    for entry_id, entry in sorted(entries.items()):
        for alias in entry.aliases:
            scores = {
                c.entry_id: c.score for c in matcher.lexical(alias, [entry_id], (entry_id, alias)).candidates
            }
            other, best = max(
                ((i, v) for i, v in scores.items() if i != entry_id), key=lambda kv: kv[1], default=("", 0.0)
            )
            own = scores.get(entry_id, 0.0)
            if best - own >= MISROUTED_MARGIN:
                findings.append(
                    Problem(
                        files.get(entry_id, entry_id),
                        "aliases",
                        f"{alias!r} matches {other!r} better ({100 * best:.0f} vs {100 * own:.0f} without "
                        "the alias): move it there or reword it",
                        "warning",
                    )
                )
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
        latest = policy.at(_far_future())
        for label, (_, value_in) in POLICY_FIGURES.items():
            current = value_in(latest)
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
