"""Run a pandera schema lazily and split records into valid rows and quarantine rows."""

from __future__ import annotations

import json

import pandera.polars as pa
import polars as pl

from pipeline.quarantine import quarantine_frame, quarantine_row


def split_valid(
    frame: pl.DataFrame, schema: type[pa.DataFrameModel], source_name: str, id_column: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (valid rows, quarantine rows). Every failing check on a row gives one quarantine row."""
    if frame.height == 0:
        return frame, quarantine_frame([])
    indexed = frame.with_row_index("__row")
    try:
        schema.validate(frame, lazy=True)
        return frame, quarantine_frame([])
    except pa.errors.SchemaErrors as errors:
        failures = errors.failure_cases
    bad_rows: set[int] = set()
    rejects = []
    records = indexed.to_dicts()
    for failure in failures.iter_rows(named=True):
        index = failure.get("index")
        if index is None:
            # A table-level failure (missing column, wrong type): nothing in the frame can be trusted.
            bad_rows.update(range(frame.height))
            rejects.append(
                quarantine_row(
                    source_name,
                    "*",
                    f"{failure['check']} failed on {failure['column']}: {failure['failure_case']}",
                    column_name=str(failure["column"] or ""),
                    check_name=str(failure["check"]),
                )
            )
            continue
        bad_rows.add(int(index))
        record = records[int(index)]
        record_id = str(record.get(id_column)) if id_column else str(index)
        rejects.append(
            quarantine_row(
                source_name,
                record_id,
                f"{failure['column'] or 'row'}: value {failure['failure_case']!r} fails {failure['check']}",
                raw_content=json.dumps({k: v for k, v in record.items() if k != "__row"}, default=str),
                column_name=str(failure["column"] or ""),
                check_name=str(failure["check"]),
            )
        )
    valid = indexed.filter(~pl.col("__row").is_in(sorted(bad_rows))).drop("__row")
    return valid, quarantine_frame(rejects)
