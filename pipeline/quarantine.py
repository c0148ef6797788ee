"""Rows that could not be used, kept with a reason instead of being dropped."""

from __future__ import annotations

import polars as pl

QUARANTINE_SCHEMA = {
    "source_name": pl.Utf8,
    "record_id": pl.Utf8,
    "raw_content": pl.Utf8,
    "column_name": pl.Utf8,
    "check_name": pl.Utf8,
    "reason": pl.Utf8,
}


def quarantine_row(
    source_name: str, record_id: str, reason: str, *, raw_content: str = "", column_name: str = "", check_name: str = ""
) -> dict[str, str]:
    return {
        "source_name": source_name,
        "record_id": record_id,
        "raw_content": raw_content[:2000],
        "column_name": column_name,
        "check_name": check_name,
        "reason": reason,
    }


def quarantine_frame(rows: list[dict[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=QUARANTINE_SCHEMA)


def source_problems(source_name: str, problems: list[str]) -> pl.DataFrame:
    """Source-level trouble (a failed fetch, a fallback, a file that could not be read) as quarantine rows:
    `check_name = 'source'`, which the source's `source_read_cleanly` check counts."""
    return quarantine_frame([quarantine_row(source_name, "*", p, check_name="source") for p in problems])
