"""Where the project's inputs, working state and published outputs live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


def default_data_dir() -> Path:
    return _from_env("LEDGER_DATA_DIR", PROJECT_ROOT / "data")


def default_out_dir() -> Path:
    return _from_env("LEDGER_OUT_DIR", PROJECT_ROOT / "out")


def default_state_dir() -> Path:
    # Working database and scratch files: never under out/, which people read.
    return _from_env("LEDGER_STATE_DIR", PROJECT_ROOT / ".ledger")
