"""Assets built from `sql/<layer>/<name>.sql`: one asset per file, dependencies read from the query."""

from __future__ import annotations

import hashlib

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets import checks
from assets.metadata import descriptions_from, table_metadata
from pipeline import warehouse
from pipeline.schemas import SQL_TABLE_SCHEMAS
from pipeline.validation import split_valid
from pipeline.paths import SQL_DIR


def _first_comment(sql: str) -> str:
    lines = [line.removeprefix("--").strip() for line in sql.splitlines() if line.startswith("--")]
    return " ".join(lines)


def _schema_check(layer: str, name: str, schema) -> checks.StepCheck:
    # A schema that allows other columns validates only its own: reading the rest (53 of the mart's 69) costs time.
    own = None if getattr(schema.Config, "strict", False) else set(schema.to_schema().columns)

    def evaluate(con) -> dg.AssetCheckResult:
        # ... of those, the ones the table has: a missing column must reach pandera, which lists it as a failure.
        columns = [c for c, _ in warehouse.column_types(con, layer, name) if c in own] if own is not None else None
        frame = warehouse.read_table(con, layer, name, columns)
        valid, failures = split_valid(frame, schema, f"{layer}.{name}")
        return dg.AssetCheckResult(passed=failures.height == 0, metadata={
            "rows": frame.height, "failing_rows": frame.height - valid.height,
            "failures": dg.MetadataValue.json(failures.select("column_name", "check_name", "reason").head(50).to_dicts())})

    return checks.StepCheck("schema_holds", f"`{layer}.{name}` satisfies the `{schema.__name__}` schema (every failure listed).",
                            evaluate, blocking=layer == "marts")  # a mart that breaks its schema must not be published


def _sql_file_asset(layer: str, name: str, group: str, materialize: str,
                    more_checks: list[checks.StepCheck]) -> dg.AssetsDefinition:
    sql = (SQL_DIR / layer / f"{name}.sql").read_text()
    deps = [dg.AssetKey([schema, table]) for schema, table in warehouse.referenced_tables(sql)]
    key = dg.AssetKey([layer, name])
    schema = SQL_TABLE_SCHEMAS.get((layer, name))
    step_checks = ([_schema_check(layer, name, schema)] if schema else []) + more_checks

    @dg.asset(key=key, deps=deps, group_name=group, kinds={"sql", "duckdb"}, pool="duckdb_writer",
              check_specs=checks.specs(key, step_checks),
              description=f"{_first_comment(sql)}. Built from `sql/{layer}/{name}.sql` as a {materialize}.",
              code_version=hashlib.sha256(sql.encode()).hexdigest()[:16])
    def _asset(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with warehouse_db.get_connection() as con:
            warehouse.install_macros(con)
            warehouse.build_from_sql(con, layer, name, materialize)
            meta = table_metadata(con, layer, name, descriptions_from(schema))
            check_results = checks.evaluate(con, key, step_checks)
        meta["sql_file"] = dg.MetadataValue.path(f"sql/{layer}/{name}.sql")
        return dg.MaterializeResult(metadata=meta, check_results=check_results)

    return _asset


def sql_file_assets(layer: str, group: str, materialize: str,
                    more_checks: dict[str, list[checks.StepCheck]] | None = None) -> list[dg.AssetsDefinition]:
    """One asset per `sql/<layer>/*.sql`; `more_checks` adds checks (by file name) to the schema check."""
    return [_sql_file_asset(layer, path.stem, group, materialize, (more_checks or {}).get(path.stem, []))
            for path in sorted((SQL_DIR / layer).glob("*.sql"))]


staging_assets = sql_file_assets("staging", "staging", "view")
core_assets = sql_file_assets("core", "core", "view")
