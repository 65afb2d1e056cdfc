"""English calendar words, whatever the machine's locale: the knowledge files, the timeline format and
every text members read are in English. The one home of month names, for writing dates and reading them."""

from __future__ import annotations

from datetime import date

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MONTH_ABBREVIATIONS = tuple(name[:3] for name in MONTH_NAMES)


def month_and_year(day: date, *, abbreviated: bool = False) -> str:
    """ "December 2020", or "Dec 2020" abbreviated: the month a day falls in."""
    names = MONTH_ABBREVIATIONS if abbreviated else MONTH_NAMES
    return f"{names[day.month - 1]} {day.year}"


def day_and_month(day: date) -> str:
    """ "3 Nov": a day without its year."""
    return f"{day.day} {MONTH_ABBREVIATIONS[day.month - 1]}"
