"""Writing outputs people open: CSV that spreadsheets will not execute, files swapped in atomically,
and the leftovers of a killed run removed."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import polars as pl

TMP_PREFIX = ".ledger-tmp-"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells starting with = + - @ (or a tab or CR) get a leading apostrophe, so a spreadsheet
    shows them as text instead of running them as formulas (CSV injection). Numbers are untouched."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.Utf8]
    return frame.with_columns(
        pl.when(pl.any_horizontal([pl.col(c).str.starts_with(p) for p in _FORMULA_START]))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text_columns
    )


@contextmanager
def staging_dir(target: Path) -> Iterator[Path]:
    """A scratch folder beside `target` (same file system, so renames are atomic), always removed."""
    target.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=target))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def replace_into(built: dict[str, Path], target: Path) -> dict[str, Path]:
    """Move freshly built files into `target`, one atomic rename each."""
    placed = {}
    for key, path in built.items():
        destination = target / path.name
        os.replace(path, destination)
        placed[key] = destination
    return placed


def remove_leftovers(root: Path) -> list[Path]:
    """Scratch files and folders a killed run left under `root` (writers are serialised, so none is live)."""
    removed = []
    if not root.exists():
        return removed
    for path in root.rglob(f"{TMP_PREFIX}*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


# The folders of out/ other than the warehouse, built in the release folder first and published with it.
RELEASE_FOLDERS = ("tables", "charts", "report")


def stage_release(release: Path, out: Path) -> list[tuple[Path, Path]]:
    """Copies of the release's folders beside their places in `out` (so moving them in is a rename), as
    (copy, destination) pairs. Nothing in `out` changes yet; a copy that fails removes what was copied."""
    staged: list[tuple[Path, Path]] = []
    try:
        for folder in RELEASE_FOLDERS:
            built = release / folder
            if not built.is_dir():
                continue
            destination = out / folder
            destination.mkdir(parents=True, exist_ok=True)
            copy = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=destination))
            staged.append((copy, destination))
            for path in built.iterdir():
                if path.is_file() and not path.name.startswith(TMP_PREFIX):
                    shutil.copy2(path, copy / path.name)
    except BaseException:
        discard_release(staged)
        raise
    return staged


def place_release(staged: list[tuple[Path, Path]]) -> int:
    """Move staged copies into place, one atomic rename per file, then remove files the release no longer has.
    Returns the number of files placed."""
    placed = 0
    for copy, destination in staged:
        names = set()
        for path in copy.iterdir():
            os.replace(path, destination / path.name)
            names.add(path.name)
            placed += 1
        for path in destination.iterdir():
            if path.is_file() and path.name not in names and not path.name.startswith(TMP_PREFIX):
                path.unlink(missing_ok=True)
        shutil.rmtree(copy, ignore_errors=True)
    return placed


def discard_release(staged: list[tuple[Path, Path]]) -> None:
    for copy, _ in staged:
        shutil.rmtree(copy, ignore_errors=True)
