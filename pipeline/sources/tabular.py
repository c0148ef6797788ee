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
        return _unique_names(frame.with_columns([_as_text(frame[c]) for c in frame.columns]))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # One bad byte costs its row, not the file: it becomes U+FFFD, which the record check refuses in the
        # field that holds it (pipeline/sources/records.py), naming the field.
        text = raw.decode("utf-8-sig", errors="replace")
    if "\x00" in text:
        raise TableError(f"{name}: binary content, not CSV")
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False, quote_char='"', truncate_ragged_lines=False)
    except Exception as exc:  # polars raises ComputeError / NoDataError for malformed CSV
        raise TableError(f"{name}: not a readable CSV file: {str(exc).splitlines()[0]}") from exc
    return _unique_names(frame)


def _as_text(column: pl.Series) -> pl.Series:
    """A column as text whatever its Parquet type: a list as `|`-separated items, a struct as JSON, bytes as
    UTF-8 (U+FFFD where they are not)."""
    dtype = column.dtype
    if dtype == pl.Utf8:
        return column
    if isinstance(dtype, (pl.List, pl.Array)):
        return column.map_elements(lambda items: "|".join(str(i) for i in items if i is not None) if items is not None else None,
                                   return_dtype=pl.Utf8)
    if isinstance(dtype, pl.Struct):
        return column.struct.json_encode()
    if dtype == pl.Binary:
        return column.map_elements(lambda b: b.decode("utf-8", errors="replace"), return_dtype=pl.Utf8)
    try:
        return column.cast(pl.Utf8)
    except Exception:  # noqa: BLE001 -- a type polars cannot cast to text is written out value by value
        return column.map_elements(str, return_dtype=pl.Utf8)


def _unique_names(frame: pl.DataFrame) -> pl.DataFrame:
    """Column names trimmed; a name a header repeats keeps its first column, later ones get `_2`, `_3`, ..."""
    names, seen = [], {}
    for column in frame.columns:
        base = column.strip()
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return frame.rename(dict(zip(frame.columns, names)))


def pick(frame: pl.DataFrame, *candidates: str) -> str | None:
    """The first of `candidates` that is a column (so renamed columns are accepted)."""
    lowered = {c.lower(): c for c in frame.columns}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    return None
