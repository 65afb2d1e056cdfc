"""The knowledge base as files: one Markdown file with YAML front matter per entry, policy.yaml and
the sources registry, sources.yaml.

Files are written in one canonical form (`render_entry`), so that exporting the store gives back
exactly the files that were imported and a reviewer's diff shows only real changes.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from connectsbot.field_errors import field_errors
from connectsbot.knowledge import Entry, Policy, SourceRecord

ENTRIES_DIR = "entries"
POLICY_FILE = "policy.yaml"
SOURCES_FILE = "sources.yaml"
CATEGORIES_FILE = "categories.yaml"
FRONT_MATTER_FENCE = "---"
# The largest knowledge file read (an entry is a few kB; the sources registry tens): a bigger one is a
# mistake or an attack, refused before it costs memory and seconds.
FILE_MAX_BYTES = 1_000_000
# Front matter keys in the order they are written.
FRONT_MATTER_KEYS = ("id", "question", "category", "as_of", "aliases", "keywords", "sources", "related")


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so pydantic reports a bad date with its field name."""


_Loader.yaml_implicit_resolvers = {
    first: [resolver for resolver in resolvers if resolver[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str) -> object:
    return yaml.load(text, Loader=_Loader)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the knowledge files, located by file and field."""

    file: str
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{self.severity}: {where}: {self.message}"


@dataclass
class LoadedFolder:
    """What a knowledge folder holds, with every problem found while reading it."""

    entries: dict[str, Entry] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # entry id -> file
    digests: dict[str, str] = field(default_factory=dict)  # entry id -> sha256 of the file
    policy: Policy | None = None
    sources: dict[str, SourceRecord] = field(default_factory=dict)  # the registry, by source id
    categories: dict[str, str] | None = None  # category -> what belongs in it; None: no categories.yaml
    problems: list[Problem] = field(default_factory=list)


class EntryFileError(ValueError):
    """An entry file that cannot be read; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validation_problems(file: str, error: ValidationError) -> list[Problem]:
    """A pydantic error as problems of `file`, one per refused field."""
    return [Problem(file, item.field or "(file)", item.message) for item in field_errors(error)]


def parse_entry(text: str, file: str = "<text>") -> Entry:
    """Read one entry file. Raises EntryFileError listing every problem."""
    if "\x00" in text:
        raise EntryFileError([Problem(file, "", "the file contains a NUL byte")])
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FRONT_MATTER_FENCE:
        raise EntryFileError([Problem(file, "", "must start with a '---' line opening the front matter")])
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.rstrip() == FRONT_MATTER_FENCE)
    except StopIteration:
        raise EntryFileError([Problem(file, "", "front matter is not closed by a '---' line")]) from None
    try:
        meta = _load_yaml("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise EntryFileError([Problem(file, "front matter", f"invalid YAML{where}: {problem}")]) from None
    if not isinstance(meta, dict):
        raise EntryFileError([Problem(file, "front matter", "must be a mapping of fields")])
    if "answer" in meta:
        raise EntryFileError([Problem(file, "answer", "the answer is the text after the front matter")])
    body = "\n".join(lines[end + 1 :]).strip()
    try:
        return Entry.model_validate({**meta, "answer": body})
    except ValidationError as exc:
        raise EntryFileError(validation_problems(file, exc)) from None


def _front_matter(entry: Entry) -> dict[str, Any]:
    data = entry.model_dump(mode="python", exclude={"answer"})
    data["sources"] = [_citation_yaml(citation) for citation in data["sources"]]
    ordered = {key: data[key] for key in FRONT_MATTER_KEYS}
    # Empty optional lists are left out so small entries stay small.
    return {k: v for k, v in ordered.items() if v != [] or k in ("aliases", "sources")}


def _citation_yaml(citation: dict[str, Any]) -> dict[str, Any]:
    stated = citation.pop("stated")
    if stated is not None:
        # A full date is written as a YAML date (unquoted, as people write it); a month stays text.
        citation["stated"] = date.fromisoformat(stated) if len(stated) == 10 else stated
    return citation


def render_entry(entry: Entry) -> str:
    """The canonical file text of an entry."""
    meta = yaml.safe_dump(
        _front_matter(entry), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return f"{FRONT_MATTER_FENCE}\n{meta}{FRONT_MATTER_FENCE}\n{entry.answer.strip()}\n"


def entry_path(folder: Path, entry_id: str) -> Path:
    return folder / ENTRIES_DIR / f"{entry_id}.md"


def _yaml_document(text: str, file: str) -> object:
    """A whole YAML file's content; invalid YAML is an EntryFileError naming the file."""
    try:
        return _load_yaml(text)
    except yaml.YAMLError as exc:
        raise EntryFileError([Problem(file, "", f"invalid YAML: {exc}")]) from None


def read_knowledge_file(path: Path, folder: Path) -> str:
    """The text of a file of the knowledge `folder`, read safely: only a regular file (never a FIFO, a
    device or a socket, which would block or never end), never through a link out of the folder, at
    most FILE_MAX_BYTES. Anything else is an EntryFileError saying why."""

    def refused(reason: str) -> EntryFileError:
        return EntryFileError([Problem(str(path), "", reason)])

    try:
        if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
            raise refused("a link to a file outside the knowledge folder: copy the file in instead")
        # Opened without blocking (a FIFO would wait for a writer), then checked on what was opened.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as opened:
            status = os.fstat(opened.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise refused(
                    "not a regular file (a FIFO, a device or a socket): knowledge files are plain files"
                )
            data = opened.read(FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise refused(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > FILE_MAX_BYTES:
        raise refused(f"too large: a knowledge file may hold at most {FILE_MAX_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise refused("cannot read: not valid UTF-8 text") from None


def parse_policy(text: str, file: str = POLICY_FILE) -> Policy:
    data = _yaml_document(text, file)
    if not isinstance(data, dict):
        raise EntryFileError([Problem(file, "", "must be a mapping of parameter names")])
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise EntryFileError(validation_problems(file, exc)) from None


def load_policy(folder: Path) -> Policy:
    path = folder / POLICY_FILE
    return parse_policy(read_knowledge_file(path, folder), str(path))


def parse_sources(text: str, file: str = SOURCES_FILE) -> dict[str, SourceRecord]:
    """Read the sources registry: a list of source records with unique ids."""
    data = _yaml_document(text, file)
    if not isinstance(data, list):
        raise EntryFileError([Problem(file, "", "must be a list of sources")])
    records: dict[str, SourceRecord] = {}
    problems: list[Problem] = []
    for index, item in enumerate(data):
        try:
            record = SourceRecord.model_validate(item)
        except ValidationError as exc:
            problems += [
                Problem(file, f"{index}.{p.field}", p.message) for p in validation_problems(file, exc)
            ]
            continue
        if record.id in records:
            problems.append(Problem(file, f"{index}.id", f"source id {record.id!r} is listed twice"))
        records[record.id] = record
    if problems:
        raise EntryFileError(problems)
    return records


def load_sources(folder: Path) -> dict[str, SourceRecord]:
    path = folder / SOURCES_FILE
    return parse_sources(read_knowledge_file(path, folder), str(path))


def parse_categories(text: str, file: str = CATEGORIES_FILE) -> dict[str, str]:
    """The known categories: a mapping of category id to one line on what belongs in it."""
    data = _yaml_document(text, file)
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in data.items()
    ):
        raise EntryFileError([Problem(file, "", "must map each category to a line on what it holds")])
    return dict(data)


def load_categories(folder: Path) -> dict[str, str] | None:
    """The folder's categories.yaml, or None when it has none (no categories are checked then)."""
    path = folder / CATEGORIES_FILE
    if not path.exists() and not path.is_symlink():
        return None
    return parse_categories(read_knowledge_file(path, folder), str(path))


def load_folder(folder: Path) -> LoadedFolder:
    """Read every entry file and the policy; collect problems instead of stopping at the first."""
    loaded = LoadedFolder()
    entries_dir = folder / ENTRIES_DIR
    if not entries_dir.is_dir():
        loaded.problems.append(Problem(str(entries_dir), "", "the entries folder does not exist"))
        return loaded
    for path in sorted(entries_dir.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        name = str(path)
        if path.suffix != ".md":
            loaded.problems.append(Problem(name, "", "not an entry file (entries end in .md)"))
            continue
        try:
            text = read_knowledge_file(path, folder)
            entry = parse_entry(text, name)
        except EntryFileError as exc:
            loaded.problems.extend(exc.problems)
            continue
        if path.stem != entry.id:
            loaded.problems.append(Problem(name, "id", f"id {entry.id!r} must match the file name"))
            continue
        loaded.entries[entry.id] = entry
        loaded.files[entry.id] = path
        loaded.digests[entry.id] = digest(text)
    try:
        loaded.policy = load_policy(folder)
    except EntryFileError as exc:
        loaded.problems.extend(exc.problems)
    try:
        loaded.sources = load_sources(folder)
    except EntryFileError as exc:
        loaded.problems.extend(exc.problems)
    try:
        loaded.categories = load_categories(folder)
    except EntryFileError as exc:
        loaded.problems.extend(exc.problems)
    return loaded
