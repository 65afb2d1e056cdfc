"""The knowledge folder is read safely and exported without writing through links (issue 14,
finding 9): FIFOs, devices, links out of the folder and oversized files are clear problems for
`kb validate` and the import, never a hang or a crash; a planted `*.md.tmp` link is never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectsbot.kbfiles import FILE_MAX_BYTES, load_folder, render_entry
from connectsbot.store import KnowledgeStore
from tests.helpers import build_entry


def _problems(folder: Path) -> dict[str, str]:
    return {Path(problem.file).name: problem.message for problem in load_folder(folder).problems}


def test_a_fifo_is_refused_without_waiting_for_a_writer(kb_folder: Path) -> None:
    os.mkfifo(kb_folder / "entries" / "delta-topic.md")
    os.unlink(kb_folder / "policy.yaml")
    os.mkfifo(kb_folder / "policy.yaml")
    problems = _problems(kb_folder)
    assert problems["delta-topic.md"].startswith("not a regular file")
    assert problems["policy.yaml"].startswith("not a regular file")


@pytest.mark.parametrize("target", ["outside", "/dev/zero"])
def test_a_link_out_of_the_folder_is_refused(kb_folder: Path, tmp_path: Path, target: str) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(render_entry(build_entry("delta-topic")), encoding="utf-8")
    (kb_folder / "entries" / "delta-topic.md").symlink_to(outside if target == "outside" else target)
    loaded = load_folder(kb_folder)
    assert "delta-topic" not in loaded.entries
    assert _problems(kb_folder)["delta-topic.md"].startswith("a link to a file outside the knowledge folder")


def test_a_link_inside_the_folder_is_read(kb_folder: Path) -> None:
    kept = kb_folder / "drafts" / "delta-topic.md"
    kept.parent.mkdir()
    kept.write_text(render_entry(build_entry("delta-topic")), encoding="utf-8")
    (kb_folder / "entries" / "delta-topic.md").symlink_to(kept)
    assert "delta-topic" in load_folder(kb_folder).entries


def test_an_oversized_file_is_refused(kb_folder: Path) -> None:
    entry = render_entry(build_entry("delta-topic"))
    (kb_folder / "entries" / "delta-topic.md").write_text(entry + "x" * FILE_MAX_BYTES, encoding="utf-8")
    assert _problems(kb_folder)["delta-topic.md"].startswith("too large")


async def test_the_export_never_writes_through_a_planted_temporary_link(
    kb_folder: Path, store: KnowledgeStore, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    await store.add(build_entry("delta-topic"), "moderator", "new")
    planted = kb_folder / "entries" / "delta-topic.md.tmp"
    planted.symlink_to(victim)
    # And the entry file itself a link to the victim: replaced, not written through.
    (kb_folder / "entries" / "alpha-topic.md").unlink()
    (kb_folder / "entries" / "alpha-topic.md").symlink_to(victim)
    await store.add(build_entry("alpha-topic"), "moderator", "new")
    await store.export_folder(kb_folder)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert planted.name not in {path.name for path in planted.parent.iterdir()}
    loaded = load_folder(kb_folder)
    assert loaded.problems == [] and {"alpha-topic", "delta-topic"} <= set(loaded.entries)
