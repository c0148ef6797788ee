"""Dated snapshots of each source, parsed one (source, date) at a time into Parquet landing files.

Layout of the archive (the source assets add today's inputs to it on every run, and anyone can drop in
dumps they downloaded earlier):

    <archive>/<source name>/<YYYY-MM-DD>/<the source's files, in their own format>

Parsing a snapshot touches no database, so any number run at once (the multiprocess executor runs one
process per source); one serialised step then loads every landing file into DuckDB's `history` schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipeline import warehouse
from pipeline.catalogue import Source
from pipeline.ingest import parse_inputs
from pipeline.quarantine import QUARANTINE_SCHEMA
from pipeline.sources.files import files_under
from pipeline.sources.records import BENCHMARK_COLUMNS, FACT_COLUMNS, MODEL_COLUMNS

SNAPSHOT_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MANIFEST = "MANIFEST.json"
LANDING_FRAMES = {
    "models": MODEL_COLUMNS,
    "facts": FACT_COLUMNS,
    "benchmarks": BENCHMARK_COLUMNS,
    "rejects": {name: pl.Utf8 for name in QUARANTINE_SCHEMA},
}


def is_snapshot_date(text: str) -> bool:
    if not SNAPSHOT_DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def archive_inputs(
    archive: Path,
    source_name: str,
    snapshot_date: str,
    inputs: list[tuple[str, bytes]],
    data_version: str,
    records: dict[str, int] | None = None,
) -> bool:
    """Keep `inputs` as the source's snapshot for `snapshot_date` (replacing an earlier one of the same day), with
    the records each file gave (`records`, for the next load's shrink guard) in its manifest.
    Returns False when that day's snapshot already holds this data version."""
    folder = archive / source_name / snapshot_date
    try:
        if json.loads((folder / MANIFEST).read_text())["data_version"] == data_version:
            return False
    except (OSError, ValueError, KeyError):
        pass
    scratch = archive / source_name / f".{snapshot_date}.{uuid.uuid4().hex}"
    scratch.mkdir(parents=True)
    kept = 0
    for name, raw in inputs:
        target = (scratch / name).resolve()
        if not target.is_relative_to(scratch.resolve()) or name == MANIFEST:
            continue  # an input name from a URL or a folder must not write outside the snapshot
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        kept += 1
    (scratch / MANIFEST).write_text(json.dumps({"data_version": data_version, "files": kept, "records": records or {}}))
    old = archive / source_name / f".{snapshot_date}.old.{uuid.uuid4().hex}"
    if folder.exists():
        folder.rename(old)  # a directory cannot replace a non-empty one in one step; readers see old or new
    scratch.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return True


def snapshot_dates(archive: Path, source_names: list[str]) -> list[str]:
    """Every date on which at least one of these sources has a snapshot."""
    found = set()
    for name in source_names:
        folder = archive / name
        if folder.is_dir():
            found |= {p.name for p in folder.iterdir() if p.is_dir() and is_snapshot_date(p.name)}
    return sorted(found)


@dataclass
class Archived:
    """A source's newest archived snapshot: its date, folder and the records each file gave when it was read."""

    date: str
    folder: Path
    records: dict[str, int]

    def read(self, name: str) -> bytes | None:
        target = (self.folder / name).resolve()
        if not target.is_relative_to(self.folder.resolve()) or not target.is_file():
            return None
        try:
            return target.read_bytes()
        except OSError:
            return None


def newest_snapshot(archive: Path, source_name: str) -> Archived | None:
    for snapshot_date in reversed(snapshot_dates(archive, [source_name])):
        folder = archive / source_name / snapshot_date
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError):
            continue
        records = manifest.get("records") if isinstance(manifest, dict) else None
        return Archived(
            snapshot_date, folder, {str(k): int(v) for k, v in (records or {}).items() if isinstance(v, int) and not isinstance(v, bool)}
        )
    return None


def snapshot_files(archive: Path, source: Source, snapshot_date: str) -> list[tuple[str, bytes]]:
    folder = archive / source.name / snapshot_date
    if not folder.is_dir():
        return []
    return [(n, raw) for n, raw in files_under(folder, source.spec.patterns) if n != MANIFEST]


def parse_snapshot(source: Source, files: list[tuple[str, bytes]]) -> dict[str, pl.DataFrame]:
    """The source's own parser over one snapshot's files: models, facts, benchmarks and rejects."""
    batch = parse_inputs(source, files)
    frames = batch.frames()
    return {name: frames[name].select(list(columns)).cast(columns) for name, columns in LANDING_FRAMES.items()}


def landing_path(landing: Path, frame: str, source_name: str, snapshot_date: str) -> Path:
    # Hive layout: DuckDB reads `source_name` and `snapshot_date` back from the path.
    return landing / frame / f"source_name={source_name}" / f"snapshot_date={snapshot_date}" / "part.parquet"


def write_landing(landing: Path, source_name: str, snapshot_date: str, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace this (source, date)'s landing files; each appears whole or not at all."""
    rows = {}
    for name, frame in frames.items():
        target = landing_path(landing, name, source_name, snapshot_date)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".part.{uuid.uuid4().hex}.parquet")
        frame.drop("source_name", strict=False).write_parquet(tmp)
        os.replace(tmp, target)
        rows[name] = frame.height
    return rows


def inputs_version(files: list[tuple[str, bytes]]) -> str:
    """The snapshot's data version: every file's name and content hash, as the source assets compute theirs."""
    digest = hashlib.sha256()
    for name, raw in sorted(files):
        digest.update(f"{name}\0{hashlib.sha256(raw).hexdigest()}\n".encode())
    return digest.hexdigest()


def load_landing(con: duckdb.DuckDBPyConnection, landing: Path) -> dict[str, int]:
    """`history.<frame>` = every landing file of that frame, with its source name and snapshot date."""
    warehouse.run(con, "create schema if not exists history")
    counts = {}
    for name, columns in LANDING_FRAMES.items():
        table = f"history.{name}"
        files = sorted((landing / name).glob("source_name=*/snapshot_date=*/part.parquet"))
        if files:
            pattern = str(landing / name / "*" / "*" / "part.parquet").replace("'", "''")
            warehouse.run(
                con,
                f"create or replace table {table} as select * exclude (snapshot_date), "
                f"cast(snapshot_date as date) as snapshot_date "
                f"from read_parquet('{pattern}', hive_partitioning = true, hive_types_autocast = false)",
            )
        else:
            empty = pl.DataFrame(
                schema={**{c: t for c, t in columns.items() if c != "source_name"}, "source_name": pl.Utf8, "snapshot_date": pl.Date}
            )
            warehouse.write_table(con, "history", name, empty)
        counts[name] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    return counts
