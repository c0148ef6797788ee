"""Validate: each raw table through its pandera schema; failing rows go to `ops.quarantine`, good rows on."""

from __future__ import annotations

import dagster as dg
import pandera.polars as pa
from dagster_duckdb import DuckDBResource

from assets import checks
from assets.ingest import RAW_TABLES, ensure_raw_tables
from assets.metadata import descriptions_from, table_metadata
from pipeline import schemas, warehouse
from pipeline.catalogue import Source
from pipeline.validation import split_valid

VALIDATE = "validate"

VALIDATED_TABLES: dict[str, tuple[type[pa.DataFrameModel], str]] = {
    "models": (schemas.ModelRecord, "model_name"),
    "model_facts": (schemas.ModelFact, "model_name"),
    "benchmark_results": (schemas.BenchmarkResult, "model_name"),
    "paper_table1": (schemas.PaperTable1Row, "model_name"),
    "paper_table2": (schemas.PaperTable2Cell, "workload_name"),
}


def feeds(source: Source, table: str) -> bool:
    """Does this source write rows into `raw.<table>`? (So each validated table depends only on those.)"""
    return table in source.spec.tables(source.options)


def _validated_asset(table: str, schema: type[pa.DataFrameModel], id_column: str, catalogue: list[Source]):
    sources = [s.name for s in catalogue]
    key = dg.AssetKey(["validated", table])
    step_checks = [_nothing_quarantined(table)]

    @dg.asset(
        key=key,
        deps=[dg.AssetKey(["sources", s.name]) for s in catalogue if feeds(s, table)],
        group_name=VALIDATE,
        kinds={"pandera", "duckdb"},
        pool="duckdb_writer",
        check_specs=checks.specs(key, step_checks),
        description=f"`raw.{table}` rows from the catalogue's sources that pass the `{schema.__name__}` schema; "
        f"the rest are quarantined with a reason.",
    )
    def _asset(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with warehouse_db.get_connection() as con:
            ensure_raw_tables(con)
            # Rows of sources no longer in the catalogue are dropped from raw, and counted.
            retired = con.execute(
                f"select count(*) from raw.{table} where source_name not in (select unnest(?::varchar[]))", [sources]
            ).fetchall()[0][0]
            warehouse.run(con, f"delete from raw.{table} where source_name not in (select unnest(?::varchar[]))", [sources])
            raw = warehouse.read_table(con, "raw", table).cast(RAW_TABLES[table])
            valid, rejects = split_valid(raw, schema, f"raw.{table}", id_column)
            warehouse.write_table(con, "validated", table, valid)
            warehouse.replace_quarantine(con, f"raw.{table}", rejects)
            meta = table_metadata(con, "validated", table, descriptions_from(schema))
            check_results = checks.evaluate(con, key, step_checks)
        meta.update(
            {
                "raw_rows": raw.height,
                "quarantined_rows": rejects.height,
                "rows_of_retired_sources_removed": retired,
                "schema": schema.__name__,
            }
        )
        return dg.MaterializeResult(metadata=meta, check_results=check_results)

    return _asset


def _nothing_quarantined(table: str) -> checks.StepCheck:
    def evaluate(con) -> dg.AssetCheckResult:
        count, rows = checks.count_and_first(
            con, "select record_id, reason from ops.quarantine where source_name = ? order by 1, 2", [f"raw.{table}"]
        )
        # Each rejected row keeps its record as JSON, so the count can be given per source it came from.
        by_source = dict(
            con.execute(
                """
            select coalesce(try(json_extract_string(raw_content, '$.source_name')), '(table-level)'), count(*)
            from ops.quarantine where source_name = ? group by 1 order by 1""",
                [f"raw.{table}"],
            ).fetchall()
        )
        return dg.AssetCheckResult(
            passed=not count,
            severity=dg.AssetCheckSeverity.WARN,
            description=checks.summary(
                [
                    f"{count} row(s) quarantined ("
                    + ", ".join(f"{n} from {s}" for s, n in by_source.items())
                    + f"), first: {rows[0][0]}: {rows[0][1]}"
                    if count
                    else ""
                ]
            ),
            metadata={
                "quarantined": count,
                "by_source": dg.MetadataValue.json(by_source),
                "reasons": dg.MetadataValue.json([list(r) for r in rows]),
            },
        )

    return checks.StepCheck("nothing_quarantined", f"Every row of raw.{table} passed validation.", evaluate)


def build_validated(catalogue: list[Source]) -> list[dg.AssetsDefinition]:
    return [_validated_asset(table, schema, id_column, catalogue) for table, (schema, id_column) in VALIDATED_TABLES.items()]
