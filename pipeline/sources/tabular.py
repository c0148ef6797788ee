"""CSV and Parquet reading shared by the leaderboard adapters: byte-order marks, multi-line cells,
renamed columns."""

from __future__ import annotations

import io

import polars as pl


class TableError(ValueError):
    pass


def read_table(raw: bytes, *, name: str = "") -> pl.DataFrame:
    """Every column as text (a leaderboard's types are not to be trusted); Parquet by magic bytes."""
    if raw[:4] == b"PAR1":
        try:
            frame = pl.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # polars raises several error types for corrupt Parquet
            raise TableError(f"{name}: not a readable Parquet file: {exc}") from exc
        return frame.with_columns(pl.all().cast(pl.Utf8))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"{name}: not UTF-8 text: {exc}") from exc
    if "\x00" in text:
        raise TableError(f"{name}: binary content, not CSV")
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False, quote_char='"', truncate_ragged_lines=False)
    except Exception as exc:  # polars raises ComputeError / NoDataError for malformed CSV
        raise TableError(f"{name}: not a readable CSV file: {str(exc).splitlines()[0]}") from exc
    return frame.rename({c: c.strip() for c in frame.columns})


def pick(frame: pl.DataFrame, *candidates: str) -> str | None:
    """The first of `candidates` that is a column (so renamed columns are accepted)."""
    lowered = {c.lower(): c for c in frame.columns}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    return None
