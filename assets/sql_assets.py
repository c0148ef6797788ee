"""Assets built from `sql/<layer>/<name>.sql`: one asset per file, dependencies read from the query."""

from __future__ import annotations

import hashlib

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.metadata import table_metadata
from pipeline import warehouse
from pipeline.paths import SQL_DIR


def _first_comment(sql: str) -> str:
    lines = [line.removeprefix("--").strip() for line in sql.splitlines() if line.startswith("--")]
    return " ".join(lines)


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
            meta = table_metadata(con, layer, name)
        meta["sql_file"] = dg.MetadataValue.path(f"sql/{layer}/{name}.sql")
        return dg.MaterializeResult(metadata=meta)

    return _asset


def sql_file_assets(layer: str, group: str, materialize: str) -> list[dg.AssetsDefinition]:
    return [_sql_file_asset(layer, path.stem, group, materialize) for path in sorted((SQL_DIR / layer).glob("*.sql"))]


staging_assets = sql_file_assets("staging", "staging", "view")
core_assets = sql_file_assets("core", "core", "view")
