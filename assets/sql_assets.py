"""Assets built from `sql/<layer>/<name>.sql`: one asset per file, dependencies read from the query."""

from __future__ import annotations

import hashlib

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.metadata import descriptions_from, table_metadata
from pipeline import warehouse
from pipeline.schemas import SQL_TABLE_SCHEMAS
from pipeline.validation import split_valid
from pipeline.paths import SQL_DIR


def _first_comment(sql: str) -> str:
    lines = [line.removeprefix("--").strip() for line in sql.splitlines() if line.startswith("--")]
    return " ".join(lines)


def _schema_check(layer: str, name: str, schema) -> dg.AssetChecksDefinition:
    blocking = layer == "marts"  # a mart that breaks its schema must not be published

    @dg.asset_check(asset=dg.AssetKey([layer, name]), name="schema_holds", blocking=blocking,
                    description=f"`{layer}.{name}` satisfies the `{schema.__name__}` schema (every failure listed).")
    def _check(warehouse_db: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse_db.get_connection() as con:
            frame = warehouse.read_table(con, layer, name)
        valid, failures = split_valid(frame, schema, f"{layer}.{name}")
        return dg.AssetCheckResult(passed=failures.height == 0, metadata={
            "rows": frame.height, "failing_rows": frame.height - valid.height,
            "failures": dg.MetadataValue.json(failures.select("column_name", "check_name", "reason").head(50).to_dicts())})

    return _check


def _sql_file_asset(layer: str, name: str, group: str, materialize: str) -> dg.AssetsDefinition:
    sql = (SQL_DIR / layer / f"{name}.sql").read_text()
    deps = [dg.AssetKey([schema, table]) for schema, table in warehouse.referenced_tables(sql)]

    @dg.asset(key=[layer, name], deps=deps, group_name=group, kinds={"sql", "duckdb"}, pool="duckdb_writer",
              description=f"{_first_comment(sql)}. Built from `sql/{layer}/{name}.sql` as a {materialize}.",
              code_version=hashlib.sha256(sql.encode()).hexdigest()[:16])
    def _asset(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with warehouse_db.get_connection() as con:
            warehouse.install_macros(con)
            warehouse.build_from_sql(con, layer, name, materialize)
            meta = table_metadata(con, layer, name, descriptions_from(SQL_TABLE_SCHEMAS.get((layer, name))))
        meta["sql_file"] = dg.MetadataValue.path(f"sql/{layer}/{name}.sql")
        return dg.MaterializeResult(metadata=meta)

    return _asset


def sql_file_assets(layer: str, group: str, materialize: str) -> list[dg.AssetsDefinition]:
    return [_sql_file_asset(layer, path.stem, group, materialize) for path in sorted((SQL_DIR / layer).glob("*.sql"))]


def sql_schema_checks() -> list[dg.AssetChecksDefinition]:
    return [_schema_check(layer, name, schema) for (layer, name), schema in SQL_TABLE_SCHEMAS.items()]


staging_assets = sql_file_assets("staging", "staging", "view")
core_assets = sql_file_assets("core", "core", "view")
