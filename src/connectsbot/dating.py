"""How old an answer's facts are, and how members are told: sources by title with the dates their
facts were stated, and a plain warning when those dates are more than two years back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from connectsbot.knowledge import Entry, SourceRecord, stated_label, stated_span

# Past this age a figure is presented as possibly changed (issue 12: "more than two years old").
OLD_AFTER = timedelta(days=2 * 365)
WHERE_TO_CHECK = "Upwork's Help Center (support.upwork.com)"
OLD_NOTE = (
    "These sources are more than two years old: Upwork may have changed it since; check "
    + WHERE_TO_CHECK
    + "."
)
UNDATED_NOTE = "These sources give no date: Upwork may have changed it since; check " + WHERE_TO_CHECK + "."
LEGACY_NOTE = "This describes Elance, which has closed: it is history, not how Upwork works."


def cited_dates(entry: Entry, sources: Mapping[str, SourceRecord]) -> dict[str, list[str]]:
    """Each cited source id with the dates its facts were stated, oldest first. A citation that gives
    no date (a moderator's quick addition) stands for all the dates its source states."""
    cited: dict[str, list[str]] = {}
    for citation in entry.sources:
        record = sources.get(citation.source)
        days = [citation.stated] if citation.stated else (record.dates if record else [])
        dates = cited.setdefault(citation.source, [])
        dates += [day for day in days if day not in dates]
    return {key: sorted(days, key=lambda d: stated_span(d)[0]) for key, days in cited.items()}


def newest_stated(entry: Entry, sources: Mapping[str, SourceRecord]) -> date | None:
    """The last day of the newest date its sources stated a fact, counting only sources whose date
    says something about freshness (an unreliable article's recent date does not make an answer new)."""
    days = [
        stated_span(day)[1]
        for source_id, dates in cited_dates(entry, sources).items()
        if (record := sources.get(source_id)) is not None and record.counts_for_dating
        for day in dates
    ]
    return max(days, default=None)


def is_old(entry: Entry, sources: Mapping[str, SourceRecord], today: date) -> bool:
    """Whether the answer rests on facts stated more than two years ago, or on undated ones only."""
    return _outdated(newest_stated(entry, sources), today)


def _outdated(newest: date | None, today: date) -> bool:
    """Whether facts last stated on `newest` (None: never dated) may have changed since."""
    return newest is None or today - newest > OLD_AFTER


def source_label(source_id: str, stated: list[str], sources: Mapping[str, SourceRecord]) -> str:
    """ "Upwork Community announcement, Dec 2020, updated Jul 2021"; an unknown id shows as itself."""
    record = sources.get(source_id)
    label = record.label if record is not None else source_id
    months = list(dict.fromkeys(stated_label(day) for day in stated))
    dates = ", ".join([months[0], *(f"updated {month}" for month in months[1:])]) if months else "undated"
    flag = "; unreliable" if record is not None and record.trust == "unreliable" else ""
    return f"{label} ({dates}{flag})"


def sources_line(entry: Entry, sources: Mapping[str, SourceRecord]) -> str:
    """Every source an answer rests on, by title, with the dates its facts were stated there."""
    cited = cited_dates(entry, sources)
    return "Sources: " + " · ".join(source_label(key, dates, sources) for key, dates in cited.items())


def dating_note(entry: Entry, sources: Mapping[str, SourceRecord], today: date) -> str | None:
    """What a member must know about the age of the answer, if anything."""
    if entry.category == "legacy":
        return LEGACY_NOTE
    if not is_old(entry, sources, today):
        return None
    return UNDATED_NOTE if newest_stated(entry, sources) is None else OLD_NOTE


def dating_lines(entry: Entry, sources: Mapping[str, SourceRecord], today: date) -> str:
    """The sources line, then the note on their age: the footer of every rendering of an answer."""
    note = dating_note(entry, sources, today)
    return sources_line(entry, sources) + (f"\n{note}" if note else "")


def policy_basis(source_ids: list[str], sources: Mapping[str, SourceRecord], today: date) -> str:
    """ "Rules as announced in the Upwork Community announcement of December 2020 (updated July 2021);
    Upwork may have changed them since: check …". The project's own defaults are not Upwork's rules
    and are named separately by the diagnosis."""
    parts: list[str] = []
    newest: date | None = None
    for source_id in source_ids:
        record = sources.get(source_id)
        if record is None:
            parts.append(source_id)
            continue
        if record.kind == "project default":
            continue
        when = (
            f" of {stated_label(record.published, abbreviated=False)}" if record.published else " (undated)"
        )
        if record.updated:
            when += f" (updated {stated_label(record.updated, abbreviated=False)})"
        parts.append(f"the {record.label}{when}")
        for day in record.dates:
            newest = max(newest or stated_span(day)[1], stated_span(day)[1])
    text = "rules as announced in " + " and ".join(parts) if parts else "the project's own rules"
    if _outdated(newest, today):
        text += f"; Upwork may have changed them since: check {WHERE_TO_CHECK}"
    return text
