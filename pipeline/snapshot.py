"""Embedded snapshots of real public data: build one from an upstream file, with its provenance.

    python -m pipeline.snapshot FROM --name NAME [--kind KIND] [--date YYYY-MM-DD] [--licence ...] [--citation ...]
    make snapshot FROM=path/to/upstream.csv NAME=epoch_notable_models

A snapshot keeps only what the pipeline reads: the columns the kind's reader looks for (declared once,
beside each reader) and, for Epoch's AI-models file, the rows of the `Language` domain. It is written as
Parquet (every column as text, as the readers take it), and `data/snapshots/manifest.csv` gets one row
per snapshot: the upstream file's URL, repository, path, commit and sha256, the snapshot's date, licence
and citation, row counts and the snapshot's own sha256. Refreshing the default from a newer upstream
file is this one command and a reviewable one-line change to the manifest. Provenance of a new entry
comes from a `SOURCES.tsv` beside the upstream file when there is one (as in `../shared/realdata/`),
else from the options; an existing entry keeps its licence and citation unless new ones are given.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import io
import re
import sys
from datetime import date
from pathlib import Path

import polars as pl

from pipeline.paths import PROJECT_ROOT
from pipeline.sources import epoch
from pipeline.sources.kinds import KINDS
from pipeline.sources.tabular import TableError, read_table

SNAPSHOT_DIR = PROJECT_ROOT / "data" / "snapshots"
MANIFEST = SNAPSHOT_DIR / "manifest.csv"
MANIFEST_COLUMNS = [
    "name",
    "file",
    "kind",
    "snapshot_date",
    "licence",
    "citation",
    "upstream_url",
    "repository",
    "repository_path",
    "repository_commit",
    "upstream_sha256",
    "upstream_bytes",
    "upstream_rows",
    "rows",
    "columns",
    "sha256",
    "filter",
]
# The columns each kind's reader looks for (the registry holds them, beside each reader).
READ_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {name: kind.columns for name, kind in KINDS.items() if kind.columns}
# Date columns whose newest value says how fresh a file is, when no retrieval date is known.
_DATE_COLUMNS = ("Publication date", "Started at", "started_at", "Release date", "Version release date", "metadata_submission_date")


class SnapshotError(ValueError):
    pass


def kept_columns(frame: pl.DataFrame, kind: str) -> list[str]:
    wanted = {c.lower() for candidates in READ_COLUMNS[kind].values() for c in candidates}
    return [c for c in frame.columns if c.lower() in wanted]


def kept_rows(frame: pl.DataFrame, kind: str) -> tuple[pl.DataFrame, str]:
    """Rows the pipeline can use, and the filter said in words (recorded in the manifest)."""
    if kind == "epoch_models":
        domain = next((c for c in frame.columns if c.lower() == "domain"), None)
        if domain:
            return frame.filter(pl.col(domain).fill_null("").str.contains("(?i)language")), "Domain contains Language"
    return frame, ""


def newest_date(frame: pl.DataFrame) -> str | None:
    found = []
    for column in frame.columns:
        if column in _DATE_COLUMNS:
            found += [iso for value in frame[column].drop_nulls().to_list() if (iso := epoch.iso_date(str(value)))]
    return max(found) if found else None


def read_manifest(path: Path = MANIFEST) -> list[dict]:
    """The manifest's rows (none when there is no manifest); read once per file version, as every source beside it asks."""
    try:
        return [dict(row) for row in _manifest_rows(path, path.stat().st_mtime_ns)]
    except FileNotFoundError:
        return []


@functools.lru_cache(maxsize=8)
def _manifest_rows(path: Path, _version: int) -> tuple[dict, ...]:
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def write_manifest(rows: list[dict], path: Path = MANIFEST) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: r["name"]):
        writer.writerow({c: row.get(c, "") for c in MANIFEST_COLUMNS})
    path.write_text(buffer.getvalue(), encoding="utf-8")


def upstream_provenance(source: Path) -> dict:
    """What a SOURCES.tsv beside the upstream file says of it (repository, path, commit, upstream URL)."""
    listing = source.parent / "SOURCES.tsv"
    if not listing.exists():
        return {}
    with listing.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row.get("file") == source.name:
                return {
                    "repository": row.get("repo", ""),
                    "repository_path": row.get("path", ""),
                    "repository_commit": row.get("commit", ""),
                    "upstream_url": row.get("upstream", ""),
                    "listed_sha256": row.get("sha256", ""),
                }
    return {}


def build(
    source: Path,
    name: str,
    *,
    kind: str | None = None,
    snapshot_date: str | None = None,
    licence: str | None = None,
    citation: str | None = None,
    out_dir: Path = SNAPSHOT_DIR,
    manifest: Path = MANIFEST,
) -> dict:
    """Write `<out_dir>/<name>.parquet` from the upstream file and update its manifest row; returns that row."""
    if not re.match(r"^[a-z][a-z0-9_]{0,62}$", name):
        raise SnapshotError(f"snapshot name {name!r} must be lower-case letters, digits and _")
    rows = read_manifest(manifest)
    previous = next((r for r in rows if r["name"] == name), {})
    kind = kind or previous.get("kind")
    if kind not in READ_COLUMNS:
        raise SnapshotError(f"kind {kind!r} has no snapshot reader; one of {', '.join(READ_COLUMNS)}")
    raw = source.read_bytes()
    try:
        frame = read_table(raw, name=source.name)
    except TableError as exc:
        raise SnapshotError(str(exc)) from exc
    columns = kept_columns(frame, kind)
    if not columns:
        raise SnapshotError(f"{source.name}: none of the columns a {kind} reader looks for; is it the right file?")
    kept, row_filter = kept_rows(frame, kind)
    kept = kept.select(columns)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.parquet"
    buffer = io.BytesIO()
    # Deterministic bytes for the same input: no statistics timestamps, one row group.
    kept.write_parquet(buffer, compression="zstd", compression_level=19, statistics=False, row_group_size=max(kept.height, 1))
    target.write_bytes(buffer.getvalue())
    provenance = upstream_provenance(source)
    upstream_sha = hashlib.sha256(raw).hexdigest()
    if (
        provenance.get("listed_sha256")
        and re.match(r"^[0-9a-f]{64}$", provenance["listed_sha256"])
        and provenance["listed_sha256"] != upstream_sha
    ):
        raise SnapshotError(f"{source.name}: sha256 {upstream_sha} differs from the {provenance['listed_sha256']} its SOURCES.tsv lists")
    row = {
        "name": name,
        "file": target.name,
        "kind": kind,
        "snapshot_date": snapshot_date or newest_date(frame) or previous.get("snapshot_date", ""),
        "licence": licence or previous.get("licence", ""),
        "citation": citation or previous.get("citation", ""),
        "upstream_url": provenance.get("upstream_url") or previous.get("upstream_url", ""),
        "repository": provenance.get("repository") or previous.get("repository", ""),
        "repository_path": provenance.get("repository_path") or previous.get("repository_path", ""),
        "repository_commit": provenance.get("repository_commit") or previous.get("repository_commit", ""),
        "upstream_sha256": upstream_sha,
        "upstream_bytes": str(len(raw)),
        "upstream_rows": str(frame.height),
        "rows": str(kept.height),
        "columns": str(len(columns)),
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "filter": row_filter,
    }
    if not row["licence"] or not row["citation"]:
        raise SnapshotError(f"{name}: a new snapshot needs --licence and --citation")
    write_manifest([r for r in rows if r["name"] != name] + [row], manifest)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.snapshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the upstream file (CSV or Parquet)")
    parser.add_argument("--name", required=True, help="the snapshot's name (its manifest row and file name)")
    parser.add_argument("--kind", choices=sorted(READ_COLUMNS), help="the source kind (default: the manifest row's)")
    parser.add_argument("--date", help="the date the upstream data was taken (default: its newest date)")
    parser.add_argument("--licence")
    parser.add_argument("--citation")
    args = parser.parse_args(argv)
    if args.date:
        date.fromisoformat(args.date)
    try:
        row = build(args.source, args.name, kind=args.kind, snapshot_date=args.date, licence=args.licence, citation=args.citation)
    except (SnapshotError, OSError) as exc:
        print(f"snapshot: {exc}", file=sys.stderr)
        return 2
    print(
        f"{row['name']}: {row['rows']} of {row['upstream_rows']} rows, {row['columns']} columns -> "
        f"data/snapshots/{row['file']} (sha256 {row['sha256'][:12]}, data as of {row['snapshot_date'] or 'unknown'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
