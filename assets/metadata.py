"""MaterializeResult metadata shared by every asset: row count, markdown preview, column schema."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import dagster as dg
import duckdb
import pandera.polars as pa
import polars as pl
import vl_convert as vlc

from pipeline import warehouse
from pipeline.fields import describe

PREVIEW_ROWS = 10


def markdown_table(frame: pl.DataFrame, max_rows: int = PREVIEW_ROWS, max_cell: int = 40, total_rows: int | None = None) -> str:
    if frame.width == 0:
        return "_(no columns)_"

    def cell(value) -> str:
        text = "" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
        text = "".join(ch if ch.isprintable() else " " for ch in text)  # control characters from untrusted input
        text = text if len(text) <= max_cell else text[: max_cell - 1] + "…"
        # Names come from untrusted cards: no HTML, no Markdown markup, no table breaks.
        text = html.escape(text, quote=False)
        return re.sub(r"([\\`*_{}\[\]()#+!|~>-])", r"\\\1", text)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    for row in frame.head(max_rows).iter_rows():
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    total_rows = frame.height if total_rows is None else total_rows
    if total_rows > max_rows:
        lines.append(f"\n_{total_rows - max_rows} more rows_")
    return "\n".join(lines)


def descriptions_from(schema: type[pa.DataFrameModel] | None) -> dict[str, str]:
    if schema is None:
        return {}
    return {name: column.description or "" for name, column in schema.to_schema().columns.items()}


def table_metadata(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    column_docs: dict[str, str] | None = None,
    preview_columns: list[str] | None = None,
    rows: int | None = None,
) -> dict:
    """`rows`: the row count when the caller has it already (counting a view runs its query again)."""
    # Count and the first rows only: reading a million-row table back for its metadata would cost more than building it.
    rows = warehouse.row_count(con, schema, table) if rows is None else rows
    preview = warehouse.head(con, schema, table, PREVIEW_ROWS, preview_columns)
    docs = column_docs or {}  # a table's own wording first, else the field dictionary's (pipeline/fields.py)
    columns = [
        dg.TableColumn(name=name, type=dtype, description=docs.get(name) or describe(name))
        for name, dtype in warehouse.column_types(con, schema, table)
    ]
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": dg.TableSchema(columns=columns),
        "dagster/table_name": f"{schema}.{table}",
        "preview": dg.MetadataValue.md(markdown_table(preview, total_rows=rows)),
    }


def chart_metadata(png: Path, svg: Path, label: str = "chart") -> dict:
    """The chart inline for the UI's *Show Markdown*, and the file paths. The preview is the SVG rasterised at
    one pixel per CSS pixel: the UI shows a Markdown image at its pixel width, and the 2x PNG written for
    print would run past the modal's edge."""
    preview = base64.b64encode(vlc.svg_to_png(svg.read_text(), scale=1)).decode()
    return {
        label: dg.MetadataValue.md(f"![{label}](data:image/png;base64,{preview})"),
        f"{label}_path": dg.MetadataValue.path(str(png)),
        "svg_path": dg.MetadataValue.path(str(svg)),
    }
