"""The import rules of pyproject.toml's [tool.importlinter] hold: the core never imports the Discord
layer or discord.py, the extensions do not import each other, and no two modules of `bot` (nor of any
of its packages) import each other, even only for type checking."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONTRACT_TYPES = {"forbidden", "independence", "acyclic_siblings"}


def test_the_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"][
        "contracts"
    ]
    assert {contract["type"] for contract in contracts} == CONTRACT_TYPES
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout
