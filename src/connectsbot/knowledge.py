"""Knowledge-base models: FAQ entries, the sources registry they cite, and dated policy parameters."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from connectsbot.calendar_words import month_and_year
from connectsbot.safe_text import comparison_form, safe_strings

# Discord embeds allow 4,096 description characters; keep a margin for the sources line.
ANSWER_MAX_CHARS = 4000
ENTRY_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

EntryId = Annotated[str, StringConstraints(pattern=ENTRY_ID_PATTERN, min_length=2, max_length=64)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


def normalise_alias(text: str) -> str:
    """The form under which two aliases (or titles) count as the same: case, spacing and invisible
    characters do not matter."""
    return " ".join(comparison_form(text).casefold().split())


# A date as precise as the source gives it: "2021-07-23", or "2020-12" for "In December [2020]".
STATED_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])(-\d{2})?$"
SOURCE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def _real_date(text: str) -> str:
    stated_span(text)  # raises ValueError for 2021-02-30
    return text


StatedDate = Annotated[str, StringConstraints(pattern=STATED_PATTERN), AfterValidator(_real_date)]
SourceId = Annotated[str, StringConstraints(pattern=SOURCE_ID_PATTERN, min_length=1, max_length=64)]
# A citation names a registry id; kb validate reports one the registry does not hold.
CitedSource = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def stated_span(stated: str) -> tuple[date, date]:
    """The first and last day a partial date covers ("2020-12" is all of December 2020)."""
    parts = [int(part) for part in stated.split("-")]
    if len(parts) == 3:
        day = date(parts[0], parts[1], parts[2])
        return day, day
    first = date(parts[0], parts[1], 1)
    following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
    return first, following - timedelta(days=1)


def stated_label(stated: str, *, abbreviated: bool = True) -> str:
    """ "Dec 2020" ("December 2020" not abbreviated): members read the month and year, not the day."""
    first, _ = stated_span(stated)
    return month_and_year(first, abbreviated=abbreviated)


class Citation(BaseModel):
    """One source an entry rests on (an id of knowledge/sources.yaml), what it supports, and when
    the source stated it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: CitedSource
    supports: ShortText
    # The date the source states the fact, as precisely as it shows it; none for undated sources.
    stated: StatedDate | None = None


SourceKind = Literal[
    "official announcement",
    "help-centre article",
    "FAQ compilation",
    "third-party article",
    "project default",
]
# How far to trust a source (the curation table of knowledge-topics.md).
Trust = Literal["authoritative", "good", "background", "legacy", "unreliable", "project"]


class SourceRecord(BaseModel):
    """One document of the sources registry (knowledge/sources.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: SourceId
    title: ShortText  # the full title, for moderators
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    publisher: ShortText
    kind: SourceKind
    # The dates the document states; none at all means it is undated.
    published: StatedDate | None = None
    updated: StatedDate | None = None
    date_note: ShortText | None = None
    address: ShortText | None = None
    file: ShortText | None = None  # the project's copy of it, in shared/seeds
    trust: Trust
    trust_note: ShortText

    @model_validator(mode="after")
    def _updated_after_published(self) -> SourceRecord:
        if self.updated is not None and self.published is None:
            raise ValueError("updated needs published")
        if self.published and self.updated and stated_span(self.updated)[0] < stated_span(self.published)[0]:
            raise ValueError("updated is before published")
        return self

    @property
    def dates(self) -> list[str]:
        return [d for d in (self.published, self.updated) if d is not None]

    @property
    def counts_for_dating(self) -> bool:
        """Whether its date may make an answer look recent: not an unreliable source, nor our own default."""
        return self.trust not in ("unreliable", "project")


class LabelledQuestion(BaseModel):
    """A question and the entry that answers it (None: out of scope, nothing should answer): the
    answer service's training and evaluation data (knowledge/labelled/, and what use teaches)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    q: str = Field(min_length=1)
    expect: str | None
    style: str | None = None
    origin: Literal["written", "member", "moderator"] = "written"


class Entry(BaseModel):
    """One FAQ entry: a question, the other ways members ask it, and the answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: EntryId
    question: ShortText
    category: Annotated[str, StringConstraints(pattern=ENTRY_ID_PATTERN, max_length=40)]
    as_of: date
    aliases: list[ShortText] = Field(default_factory=list)
    keywords: list[ShortText] = Field(default_factory=list)
    sources: list[Citation] = Field(min_length=1)
    related: list[EntryId] = Field(default_factory=list)
    answer: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ANSWER_MAX_CHARS)
    ]

    @model_validator(mode="before")
    @classmethod
    def _safe_text(cls, data: Any) -> Any:
        """Moderators' and files' text made safe before it is validated (see connectsbot.safe_text)."""
        return safe_strings(data)

    @field_validator("aliases")
    @classmethod
    def _aliases_unique(cls, aliases: list[str]) -> list[str]:
        seen: set[str] = set()
        for alias in aliases:
            key = normalise_alias(alias)
            if key in seen:
                raise ValueError(f"alias {alias!r} is listed twice")
            seen.add(key)
        return aliases

    @model_validator(mode="after")
    def _not_related_to_itself(self) -> Entry:
        if self.id in self.related:
            raise ValueError("an entry cannot list itself under related")
        return self

    @property
    def title(self) -> str:
        return self.question


ParameterValue = int | float | datetime


class PolicyValue(BaseModel):
    """One value of a policy parameter, in force from `effective_from` until the next value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effective_from: datetime
    value: ParameterValue
    as_of: date
    cites: Citation
    note: str | None = None

    @field_validator("effective_from")
    @classmethod
    def _aware(cls, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("effective_from needs a time zone (e.g. 2020-12-01T00:00:00Z)")
        return moment


class PolicyParameter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: ShortText
    unit: ShortText
    values: list[PolicyValue] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _ordered(cls, values: list[PolicyValue]) -> list[PolicyValue]:
        dates = [v.effective_from for v in values]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("values must be in increasing effective_from order, without repeats")
        return values

    def in_force(self, moment: datetime) -> PolicyValue | None:
        """The value in force at `moment`, or None before the first one."""
        current = None
        for value in self.values:
            if value.effective_from <= moment:
                current = value
        return current


POLICY_PARAMETER_NAMES = (
    "connects_per_interview",
    "weekly_cap",
    "window_hours",
    "program_start",
    "grace_hours",
)
# Parameters counted in whole Connects; the others are hours, except program_start (a moment).
WHOLE_NUMBER_PARAMETERS = ("connects_per_interview", "weekly_cap")


class PolicyNotInForce(LookupError):
    """A moment before the first dated value of a policy parameter: the policy says nothing about it."""

    def __init__(self, parameter: str, moment: datetime, first_effective: datetime) -> None:
        super().__init__(
            f"the policy has no value of {parameter} at {moment.isoformat()}: "
            f"its first value takes effect on {first_effective.isoformat()}"
        )
        self.parameter = parameter
        self.moment = moment
        self.first_effective = first_effective


class PolicyAt(BaseModel):
    """The policy at one moment: each parameter's value in force then (as OpenFisca's
    `parameters(instant)`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    moment: datetime
    connects_per_interview: int
    weekly_cap: int
    window_hours: float
    program_start: datetime
    grace_hours: float


class Policy(BaseModel):
    """The interview-Connects parameters, each a list of dated values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connects_per_interview: PolicyParameter
    weekly_cap: PolicyParameter
    window_hours: PolicyParameter
    program_start: PolicyParameter
    grace_hours: PolicyParameter

    @model_validator(mode="after")
    def _value_types(self) -> Policy:
        for name in POLICY_PARAMETER_NAMES:
            parameter: PolicyParameter = getattr(self, name)
            for value in parameter.values:
                number = value.value
                if (name == "program_start") != isinstance(number, datetime):
                    kind = "a date-time" if name == "program_start" else "a number"
                    raise ValueError(f"{name}: every value must be {kind}")
                if isinstance(number, datetime):
                    continue
                if number < 0:
                    raise ValueError(f"{name}: values cannot be negative")
                if name in WHOLE_NUMBER_PARAMETERS and number != int(number):
                    raise ValueError(f"{name}: every value must be a whole number of Connects")
        return self

    def at(self, moment: datetime) -> PolicyAt:
        """Every parameter's value in force at `moment` (an aware date-time).

        Raises PolicyNotInForce before the first value of any parameter, naming the one whose first
        value comes latest: its date is the first moment the whole policy is in force.
        """
        chosen: dict[str, ParameterValue] = {}
        not_yet: dict[str, datetime] = {}  # parameter -> its first effective date
        for name in POLICY_PARAMETER_NAMES:
            parameter: PolicyParameter = getattr(self, name)
            value = parameter.in_force(moment)
            if value is None:
                not_yet[name] = parameter.values[0].effective_from
            else:
                chosen[name] = value.value
        if not_yet:
            name = max(not_yet, key=not_yet.__getitem__)
            raise PolicyNotInForce(name, moment, not_yet[name])
        # The model validator above checked each parameter's kind; PolicyAt's fields convert them.
        return PolicyAt.model_validate({"moment": moment, **chosen})

    def all_values(self) -> list[PolicyValue]:
        return [value for name in POLICY_PARAMETER_NAMES for value in getattr(self, name).values]

    def citations(self) -> list[Citation]:
        """Every citation the policy rests on, each once."""
        return list(dict.fromkeys(value.cites for value in self.all_values()))
