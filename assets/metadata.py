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

from pipeline import warehouse


def markdown_table(frame: pl.DataFrame, max_rows: int = 10, max_cell: int = 40) -> str:
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
    if frame.height > max_rows:
        lines.append(f"\n_{frame.height - max_rows} more rows_")
    return "\n".join(lines)


def descriptions_from(schema: type[pa.DataFrameModel] | None) -> dict[str, str]:
    if schema is None:
        return {}
    return {name: column.description or "" for name, column in schema.to_schema().columns.items()}


def table_metadata(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                   column_docs: dict[str, str] | None = None, preview_columns: list[str] | None = None) -> dict:
    frame = warehouse.read_table(con, schema, table)
    docs = column_docs or {}
    columns = [dg.TableColumn(name=name, type=dtype, description=docs.get(name) or None)
               for name, dtype in warehouse.column_types(con, schema, table)]
    preview = frame.select(preview_columns) if preview_columns else frame
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": dg.TableSchema(columns=columns),
        "dagster/table_name": f"{schema}.{table}",
        "preview": dg.MetadataValue.md(markdown_table(preview)),
    }


def png_metadata(png: Path, label: str = "chart") -> dict:
    encoded = base64.b64encode(png.read_bytes()).decode()
    return {label: dg.MetadataValue.md(f"![{label}](data:image/png;base64,{encoded})"),
            f"{label}_path": dg.MetadataValue.path(str(png))}
