"""Pydantic's validation errors in words: the one converter the knowledge files, the store, the
moderators' forms and the settings use."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

# Pydantic puts this before the message of a ValueError raised by a validator; it tells people nothing.
_VALUE_ERROR_PREFIX = "Value error, "


@dataclass(frozen=True)
class FieldError:
    """One thing pydantic refused: where (the field's path, empty for the value as a whole) and why."""

    location: tuple[int | str, ...]
    message: str
    missing: bool  # a required field was not given at all
    given: object  # the refused input

    @property
    def field(self) -> str:
        """The dotted path of the field ("sources.0.stated"), "" for the value as a whole."""
        return ".".join(str(part) for part in self.location)


def field_errors(error: ValidationError) -> list[FieldError]:
    return [
        FieldError(
            location=tuple(item["loc"]),
            message=str(item["msg"]).removeprefix(_VALUE_ERROR_PREFIX),
            missing=item["type"] == "missing",
            given=item.get("input"),
        )
        for item in error.errors()
    ]
