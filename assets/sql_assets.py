"""Assets built from `sql/<layer>/<name>.sql`: one asset per file, dependencies read from the query.

A layer of views (staging, core) is built in one step, as dagster-dbt builds a dbt project: each file is
still its own asset (lineage, description, code version, checks, history) and any subset can be
materialised, but the layer costs one DuckDB connection and one step's bookkeeping instead of one per file.
Tables (the marts) keep a step each, so a mart whose blocking check fails stops only what depends on it.
"""

from __future__ import annotations

import graphlib
import hashlib

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets import checks
from assets.metadata import descriptions_from, table_metadata
from pipeline import warehouse
from pipeline.paths import SQL_DIR
from pipeline.registry import check_names
from pipeline.schemas import SQL_TABLE_SCHEMAS
from pipeline.validation import split_valid


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
        first = failures.row(0, named=True) if failures.height else None
        return dg.AssetCheckResult(
            passed=failures.height == 0,
            description=checks.summary(
                [f"{frame.height - valid.height} row(s) break the schema, first: {first['reason']}" if first else ""]
            ),
            metadata={
                "rows": frame.height,
                "failing_rows": frame.height - valid.height,
                "failures": dg.MetadataValue.json(failures.select("column_name", "check_name", "reason").head(50).to_dicts()),
            },
        )

    return checks.StepCheck(
        "schema_holds",
        f"`{layer}.{name}` satisfies the `{schema.__name__}` schema (every failure listed).",
        evaluate,
        blocking=layer == "marts",
    )  # a mart that breaks its schema must not be published


def _deps(sql: str) -> list[dg.AssetKey]:
    return [dg.AssetKey([schema, table]) for schema, table in warehouse.referenced_tables(sql)]


def _description(layer: str, name: str, sql: str, materialize: str) -> str:
    return f"{_first_comment(sql)}. Built from `sql/{layer}/{name}.sql` as a {materialize}."


def _code_version(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()[:16]


def _step_checks(layer: str, name: str, more_checks: list[checks.StepCheck]) -> list[checks.StepCheck]:
    schema = SQL_TABLE_SCHEMAS.get((layer, name))
    return ([_schema_check(layer, name, schema)] if schema else []) + more_checks


def _build(con, layer: str, name: str, materialize: str, step_checks: list[checks.StepCheck], wanted_checks=None) -> dg.MaterializeResult:
    """Build `layer.name` and run its checks (of those in `wanted_checks` when a subset leaves some out)."""
    key = dg.AssetKey([layer, name])
    rows = warehouse.build_from_sql(con, layer, name, materialize)
    meta = table_metadata(con, layer, name, descriptions_from(SQL_TABLE_SCHEMAS.get((layer, name))), rows=rows)
    meta["sql_file"] = dg.MetadataValue.path(f"sql/{layer}/{name}.sql")
    chosen = [c for c in step_checks if wanted_checks is None or dg.AssetCheckKey(key, c.name) in wanted_checks]
    return dg.MaterializeResult(asset_key=key, metadata=meta, check_results=checks.evaluate(con, key, chosen))


def _sql_file_asset(layer: str, name: str, group: str, materialize: str, more_checks: list[checks.StepCheck]) -> dg.AssetsDefinition:
    sql = (SQL_DIR / layer / f"{name}.sql").read_text()
    deps = _deps(sql)
    key = dg.AssetKey([layer, name])
    step_checks = _step_checks(layer, name, more_checks)

    @dg.asset(
        key=key,
        deps=deps,
        group_name=group,
        kinds={"sql", "duckdb"},
        pool="duckdb_writer",
        check_specs=checks.specs(key, step_checks),
        description=_description(layer, name, sql, materialize),
        code_version=_code_version(sql),
    )
    def _asset(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with warehouse_db.get_connection() as con:
            warehouse.install_macros(con)
            return _build(con, layer, name, materialize, step_checks)

    return _asset


def sql_layer_asset(layer: str, group: str, materialize: str = "view") -> dg.AssetsDefinition:
    """Every `sql/<layer>/*.sql` as its own asset, built in one step (any selected subset, in dependency order)."""
    queries = {path.stem: path.read_text() for path in sorted((SQL_DIR / layer).glob("*.sql"))}
    deps = {name: _deps(sql) for name, sql in queries.items()}
    # A view is bound when it is created, so one that reads another of the layer is created after it.
    order = list(
        graphlib.TopologicalSorter(
            {name: [d.path[1] for d in keys if d.path[0] == layer and d.path[1] in queries] for name, keys in deps.items()}
        ).static_order()
    )
    step_checks = {name: _step_checks(layer, name, []) for name in queries}
    specs = [
        dg.AssetSpec(
            [layer, name],
            deps=deps[name],
            group_name=group,
            kinds={"sql", "duckdb"},
            description=_description(layer, name, sql, materialize),
            code_version=_code_version(sql),
        )
        for name, sql in queries.items()
    ]

    @dg.multi_asset(
        name=f"{layer}_sql",
        specs=specs,
        can_subset=True,
        pool="duckdb_writer",
        check_specs=[spec for name in queries for spec in checks.specs(dg.AssetKey([layer, name]), step_checks[name])],
    )
    def _layer(context, warehouse_db: DuckDBResource):
        """The selected views of the layer, each created, described and checked in dependency order."""
        with warehouse_db.get_connection() as con:
            warehouse.install_macros(con)
            for name in order:
                key = dg.AssetKey([layer, name])
                if key not in context.selected_asset_keys:
                    continue
                yield _build(con, layer, name, materialize, step_checks[name], context.selected_asset_check_keys)

    return _layer


def sql_file_assets(
    layer: str, group: str, materialize: str, more_checks: dict[str, list[checks.StepCheck]] | None = None
) -> list[dg.AssetsDefinition]:
    """One asset per `sql/<layer>/*.sql`; `more_checks` adds checks (by file name) to the schema check. A name in
    `more_checks` with no SQL file is a typo that would drop its checks without a word: it fails at load."""
    paths = sorted((SQL_DIR / layer).glob("*.sql"))
    check_names(more_checks or {}, [path.stem for path in paths], f"sql/{layer} file")
    return [_sql_file_asset(layer, path.stem, group, materialize, (more_checks or {}).get(path.stem, [])) for path in paths]


def check_schema_tables(schemas=SQL_TABLE_SCHEMAS) -> None:
    """A schema filed under a table that has no SQL file would check nothing, silently: fail at load instead."""
    check_names(
        [f"{layer}/{name}" for layer, name in schemas],
        [f"{path.parent.name}/{path.stem}" for path in SQL_DIR.glob("*/*.sql")],
        "SQL table given a schema",
    )


check_schema_tables()
staging_assets = [sql_layer_asset("staging", "staging")]
core_assets = [sql_layer_asset("core", "core")]
