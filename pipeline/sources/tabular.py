"""CSV and Parquet reading shared by the leaderboard adapters: byte-order marks, multi-line cells,
renamed columns."""

from __future__ import annotations

import csv
import io

import polars as pl

csv.field_size_limit(2**31 - 1)  # a long cell is the file cap's business, not the CSV module's 128 kB default


class TableError(ValueError):
    pass


RAGGED_ROW = "ragged_row"  # the quarantine's check_name for a CSV row with more cells than its header


def read_table(raw: bytes, *, name: str = "", on_bad_row=None) -> pl.DataFrame:
    """Every column as text (a leaderboard's types are not to be trusted); Parquet by magic bytes.

    With `on_bad_row`, a CSV row that has more cells than the header (a stray comma, a broken quote) is left
    out and handed to it as (`line N`, reason, the row as read), and the rest of the file is read; without it
    such a file is a TableError."""
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
    nuls = text.count("\x00")
    if nuls > max(8, len(text) // 1000):  # a binary file is full of them
        raise TableError(f"{name}: binary content, not CSV")
    if nuls:  # a stray one costs the field that holds it, as a bad byte does
        text = text.replace("\x00", "\ufffd")
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False, quote_char='"', truncate_ragged_lines=False)
    except Exception as exc:  # polars raises ComputeError / NoDataError for malformed CSV
        if on_bad_row is None or not text.strip():
            raise TableError(f"{name}: not a readable CSV file: {str(exc).splitlines()[0]}") from exc
        return _read_row_by_row(text, on_bad_row)
    return _unique_names(frame)


def _read_row_by_row(text: str, on_bad_row) -> pl.DataFrame:
    """The CSV read with Python's csv module, which reports each row on its own: a row with more cells than the
    header goes to `on_bad_row` (empty cells past the header's end are dropped first: a trailing comma is
    harmless); a row with fewer is padded with nulls, as polars pads it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    width = len(header)
    rows, line = [], reader.line_num
    for row in reader:
        while len(row) > width and row[-1] == "":
            row.pop()
        if len(row) > width:
            on_bad_row(f"line {line + 1}", f"row has {len(row)} cells where the header has {width}; left out", ",".join(row)[:2000])
        elif row:
            rows.append([cell if cell != "" else None for cell in row] + [None] * (width - len(row)))
        line = reader.line_num
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in _unique(header)}, orient="row")


def _as_text(column: pl.Series) -> pl.Series:
    """A column as text whatever its Parquet type: a list as `|`-separated items, a struct as JSON, bytes as
    UTF-8 (U+FFFD where they are not)."""
    dtype = column.dtype
    if dtype == pl.Utf8:
        return column
    if isinstance(dtype, (pl.List, pl.Array)):
        return column.map_elements(
            lambda items: "|".join(str(i) for i in items if i is not None) if items is not None else None, return_dtype=pl.Utf8
        )
    if isinstance(dtype, pl.Struct):
        return column.struct.json_encode()
    if dtype == pl.Binary:
        return column.map_elements(lambda b: b.decode("utf-8", errors="replace"), return_dtype=pl.Utf8)
    try:
        return column.cast(pl.Utf8)
    except Exception:  # noqa: BLE001 -- a type polars cannot cast to text is written out value by value
        return column.map_elements(str, return_dtype=pl.Utf8)


def _unique(columns: list[str]) -> list[str]:
    """Column names trimmed; a name a header repeats keeps its first column, later ones get `_2`, `_3`, ..."""
    names, seen = [], {}
    for column in columns:
        base = column.replace("\ufffd", "").strip()  # a stray byte in the header costs nothing of the name
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def _unique_names(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.rename(dict(zip(frame.columns, _unique(frame.columns), strict=True)))


def pick(frame: pl.DataFrame, *candidates: str) -> str | None:
    """The first of `candidates` that is a column (so renamed columns are accepted)."""
    lowered = {c.lower(): c for c in frame.columns}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    return None
