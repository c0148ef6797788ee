"""A published results table (CSV), such as the paper's Table 1 and Table 2, kept as printed.

Printed numbers like `7.49E+23` or `4.67M` are parsed to floats; the printed text and its number of
significant figures are kept so that comparisons can be made at the precision the table printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from pipeline.quarantine import quarantine_frame, quarantine_row
from pipeline.sources.tabular import RAGGED_ROW, TableError, read_table

_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9}
_PRINTED = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([KMB]?)\s*$")


def parse_printed_number(text: str | None) -> tuple[float | None, int | None]:
    """`"4.67M"` -> (4670000.0, 3); `"0.43"` -> (0.43, 2); unparseable -> (None, None)."""
    if text is None:
        return None, None
    match = _PRINTED.match(str(text).replace(",", ""))
    if not match:
        return None, None
    number, suffix = match.groups()
    mantissa = re.split(r"[eE]", number)[0].lstrip("+-")
    digits = mantissa.replace(".", "").lstrip("0") or "0"
    if "." not in mantissa:
        digits = digits.rstrip("0") or "0"  # "10" or "2040" printed without a point: trailing zeros are not significant
    return float(number) * _SUFFIX[suffix.upper()], max(len(digits), 1)


TABLE1_COLUMNS = {
    "Model": "model_name",
    "Type": "model_type",
    "Training Compute": "training_flops",
    "GPU-Hours (H100)": "gpu_hours_h100",
    "tCO2e": "tco2e",
    "GPQA Diamond": "gpqa_diamond",
    "AIME 2024": "aime_2024",
}
TABLE1_NUMERIC = ["training_flops", "gpu_hours_h100", "tco2e", "gpqa_diamond", "aime_2024"]
TABLE1_SCHEMA = {"source_name": pl.Utf8, "row_number": pl.Int64, "model_name": pl.Utf8, "model_type": pl.Utf8} | {
    f"{column}{suffix}": dtype
    for column in TABLE1_NUMERIC
    for suffix, dtype in (("", pl.Float64), ("_printed", pl.Utf8), ("_sig_digits", pl.Int64))
}
TABLE2_SCHEMA = {"source_name": pl.Utf8, "row_number": pl.Int64, "workload_name": pl.Utf8, "accelerator_label": pl.Utf8} | {
    f"{column}{suffix}": dtype
    for column in ("training_flops", "gpu_hours", "tco2e")
    for suffix, dtype in (("", pl.Float64), ("_printed", pl.Utf8), ("_sig_digits", pl.Int64))
}


def _frame(raw: bytes | Path, source_name: str) -> tuple[pl.DataFrame | None, list[dict]]:
    rejects: list[dict] = []
    try:
        frame = read_table(
            raw.read_bytes() if isinstance(raw, Path) else raw,
            name=source_name,
            on_bad_row=lambda rid, why, row: rejects.append(quarantine_row(source_name, rid, why, raw_content=row, check_name=RAGGED_ROW)),
        )
        return frame, rejects
    except TableError as exc:
        return None, [quarantine_row(source_name, "*", str(exc), check_name="format")]


def read_table1(raw: bytes | Path, source_name: str) -> dict[str, pl.DataFrame]:
    """Table 1: one row per model; numeric columns get `_printed` and `_sig_digits` companions."""
    frame, rejects = _frame(raw, source_name)
    missing = [] if frame is None else [c for c in TABLE1_COLUMNS if c not in frame.columns]
    if frame is None or missing:
        rejects = rejects or [quarantine_row(source_name, "*", f"missing columns {missing}", check_name="columns")]
        return {"rows": pl.DataFrame(schema=TABLE1_SCHEMA), "rejects": quarantine_frame(rejects)}
    frame = frame.rename(TABLE1_COLUMNS).select(TABLE1_COLUMNS.values())
    rows = []
    for index, record in enumerate(frame.iter_rows(named=True)):
        row = {"source_name": source_name, "row_number": index + 1, "model_name": record["model_name"], "model_type": record["model_type"]}
        for column in TABLE1_NUMERIC:
            value, digits = parse_printed_number(record[column])
            row[column] = value
            row[f"{column}_printed"] = record[column]
            row[f"{column}_sig_digits"] = digits
        rows.append(row)
    return {"rows": pl.DataFrame(rows, schema=TABLE1_SCHEMA), "rejects": quarantine_frame(rejects)}


_TABLE2_CELL = re.compile(r"^(?P<accelerator>.+?)\s+(?P<measure>Hours|tCO2e)$")


def read_table2(raw: bytes | Path, source_name: str) -> dict[str, pl.DataFrame]:
    """Table 2 (wide, one column pair per accelerator) -> long rows of (workload, accelerator)."""
    frame, rejects = _frame(raw, source_name)
    if frame is None:
        return {"rows": pl.DataFrame(schema=TABLE2_SCHEMA), "rejects": quarantine_frame(rejects)}
    cells: dict[tuple[int, str], dict] = {}
    for index, record in enumerate(frame.iter_rows(named=True)):
        flops, flops_digits = parse_printed_number(record.get("Training Compute"))
        for column, text in record.items():
            match = _TABLE2_CELL.match(column)
            if not match:
                continue
            key = (index, match["accelerator"])
            cell = cells.setdefault(
                key,
                {
                    "source_name": source_name,
                    "row_number": index + 1,
                    "workload_name": record.get("Workload"),
                    "accelerator_label": match["accelerator"],
                    "training_flops": flops,
                    "training_flops_printed": record.get("Training Compute"),
                    "training_flops_sig_digits": flops_digits,
                },
            )
            measure = "gpu_hours" if match["measure"] == "Hours" else "tco2e"
            value, digits = parse_printed_number(text)
            if value is None:
                rejects.append(
                    quarantine_row(
                        source_name,
                        f"row {index + 1}:{column}",
                        f"cell {text!r} is not a number",
                        raw_content=str(text),
                        column_name=column,
                        check_name="numeric",
                    )
                )
            cell[measure] = value
            cell[f"{measure}_printed"] = text
            cell[f"{measure}_sig_digits"] = digits
    return {"rows": pl.DataFrame(list(cells.values()), schema=TABLE2_SCHEMA), "rejects": quarantine_frame(rejects)}
