"""Ingest: one asset per catalogue source. Each reads its source (fetching live ones) and replaces
that source's rows in the shared `raw` tables, records every fetch in `ops.source_snapshots`, and
puts what it could not read in `ops.quarantine`."""

from datetime import UTC, datetime

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets import checks
from assets.metadata import markdown_table
from assets.resources import LedgerPaths
from pipeline import history, warehouse
from pipeline.catalogue import Source
from pipeline.fetch import SnapshotStore, record_dict
from pipeline.ingest import read_source_safely
from pipeline.quarantine import source_problems
from pipeline.schemas import printable
from pipeline.sources.paper_table import TABLE1_SCHEMA, TABLE2_SCHEMA
from pipeline.sources.records import BENCHMARK_COLUMNS, FACT_COLUMNS, MODEL_COLUMNS

INGEST = "ingest"
RAW_TABLES = {
    "models": MODEL_COLUMNS,
    "model_facts": FACT_COLUMNS,
    "benchmark_results": BENCHMARK_COLUMNS,
    "paper_table1": TABLE1_SCHEMA,
    "paper_table2": TABLE2_SCHEMA,
}
FRAME_TABLE = {
    "models": "models",
    "facts": "model_facts",
    "benchmarks": "benchmark_results",
    "paper_table1": "paper_table1",
    "paper_table2": "paper_table2",
}
SNAPSHOT_COLUMNS = {
    "source_name": pl.Utf8,
    "url": pl.Utf8,
    "fetched_at": pl.Utf8,
    "status": pl.Utf8,
    "http_status": pl.Int64,
    "bytes": pl.Int64,
    "sha256": pl.Utf8,
    "etag": pl.Utf8,
    "last_modified": pl.Utf8,
    "content_type": pl.Utf8,
    "error": pl.Utf8,
}


def ensure_raw_tables(con) -> None:
    existing = {row[0] for row in con.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
    for table, schema in RAW_TABLES.items():
        if table not in existing:
            warehouse.write_table(con, "raw", table, pl.DataFrame(schema=schema))


def source_asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["sources", name])


def _source_asset(source: Source) -> dg.AssetsDefinition:
    where = source.url or (f"{len(source.options.get('repo_ids') or [])} Hub repos" if source.options.get("repo_ids") else str(source.path))

    key = source_asset_key(source.name)
    step_checks = [_read_cleanly(source)]

    @dg.asset(
        key=key,
        group_name=INGEST,
        kinds=set(source.spec.tags) | {"duckdb"},
        check_specs=checks.specs(key, step_checks),
        pool="duckdb_writer",
        tags={"source_kind": source.kind, "refresh": source.refresh},
        description=f"Source `{source.name}` ({source.kind}) from {where}. {source.description}".strip(),
    )
    def _asset(context: dg.AssetExecutionContext, ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        result = read_source_safely(source, SnapshotStore(ledger.snapshots_dir), archive=ledger.archive_dir)
        if result.contents and result.stale_since is None:  # today's snapshot, for the history location's partitions
            try:
                history.archive_inputs(
                    ledger.archive_dir,
                    source.name,
                    datetime.now(UTC).date().isoformat(),
                    result.contents,
                    result.data_version,
                    result.records,
                )
            except OSError as exc:  # a full or failing disk costs today's snapshot, not the load
                problem = f"today's snapshot could not be archived ({exc.strerror or exc})"
                result.problems.append(problem)
                result.frames["rejects"] = pl.concat([result.frames["rejects"], source_problems(source.name, [problem])])
        if result.stale_since or result.unread:
            mark_run_stale(context, source.name)
        counts, score_changes, rejects = {}, 0, result.frames["rejects"]
        with warehouse_db.get_connection() as con:
            ensure_raw_tables(con)
            if result.unread:  # nothing to replace them with: the previous load's rows and rejects stay
                counts = {
                    table: con.execute(f"select count(*) from raw.{table} where source_name = ?", [source.name]).fetchall()[0][0]
                    for table in FRAME_TABLE.values()
                }
                kept = (
                    warehouse.query_frame(
                        con,
                        "select * exclude (first_seen, last_seen) from ops.quarantine where source_name = ? and check_name <> 'source'",
                        [source.name],
                    )
                    if warehouse.table_exists(con, "ops", "quarantine")
                    else rejects.clear()
                )
                rejects = pl.concat([kept.cast(rejects.schema), rejects])
            else:
                score_changes = warehouse.record_score_changes(
                    con, source.name, result.frames["benchmarks"].cast(RAW_TABLES["benchmark_results"]), result.data_version
                )
                for frame_name, table in FRAME_TABLE.items():
                    frame = result.frames.get(frame_name)
                    rows = frame if frame is not None and frame.height else pl.DataFrame(schema=RAW_TABLES[table])
                    counts[table] = warehouse.replace_source_rows(con, "raw", table, source.name, rows.cast(RAW_TABLES[table]))
            warehouse.replace_quarantine(con, source.name, rejects)
            warehouse.append_rows(
                con, "ops", "source_snapshots", pl.DataFrame([record_dict(r) for r in result.fetches], schema=SNAPSHOT_COLUMNS)
            )
            warehouse.append_rows(
                con,
                "ops",
                "source_loads",
                pl.DataFrame(
                    [
                        {
                            "source_name": source.name,
                            "kind": source.kind,
                            "loaded_at": datetime.now(UTC),
                            "data_version": result.data_version,
                            "inputs": len(result.inputs),
                            "rows": sum(counts.values()),
                            "quarantined": rejects.height,
                            "stale_since": result.stale_since,
                            "fetch_status": ", ".join(sorted({r.status for r in result.fetches})) or "local",
                        }
                    ],
                    schema_overrides={"stale_since": pl.Utf8},
                ),
            )
            check_results = checks.evaluate(con, key, step_checks)
        for problem in result.problems:
            context.log.warning(f"{source.name}: {printable(problem)}")
        fetches = [f"{r.status} {r.http_status or ''} {r.url}" for r in result.fetches]
        return dg.MaterializeResult(
            data_version=dg.DataVersion(result.data_version),
            check_results=check_results,
            metadata={
                "dagster/row_count": sum(counts.values()),
                **{f"{table}_rows": n for table, n in counts.items() if n},
                "quarantined": rejects.height,
                "stale_since": result.stale_since or ("unread: previous rows kept" if result.unread else "no"),
                "score_changes": score_changes,
                "skipped_by_filter": result.skipped,
                "inputs": dg.MetadataValue.md(
                    markdown_table(
                        pl.DataFrame(result.inputs, schema={"name": pl.Utf8, "sha256": pl.Utf8, "bytes": pl.Int64}, orient="row")
                    )
                ),
                "fetches": dg.MetadataValue.json(fetches),
                "problems": dg.MetadataValue.json(result.problems),
            },
        )

    return _asset


STALE_TAG = "distill_ledger/stale_sources"  # on a run that published some source's earlier data instead of a new read


def mark_run_stale(context: dg.AssetExecutionContext, source_name: str) -> None:
    """Tag the run so the UI's run list shows it used stale data (Dagster has no 'succeeded with warnings')."""
    run = context.instance.get_run_by_id(context.run_id)
    named = [n for n in ((run.tags.get(STALE_TAG) if run else "") or "").split(",") if n]
    if source_name not in named:
        context.instance.add_run_tags(context.run_id, {STALE_TAG: ",".join([*named, source_name])})


def _read_cleanly(source: Source) -> checks.StepCheck:
    def evaluate(con) -> dg.AssetCheckResult:
        problems, rows = checks.count_and_first(
            con, "select reason from ops.quarantine where source_name = ? and check_name = 'source' order by record_id", [source.name]
        )
        records, first = checks.count_and_first(
            con,
            "select record_id, reason from ops.quarantine where source_name = ? and check_name <> 'source' order by record_id, reason",
            [source.name],
        )
        stale = con.execute(
            "select stale_since from ops.source_loads where source_name = ? order by loaded_at desc limit 1", [source.name]
        ).fetchall()
        return dg.AssetCheckResult(
            passed=not problems and not records,
            severity=dg.AssetCheckSeverity.WARN,
            description=checks.summary(
                [
                    f"{problems} source problem(s): " + "; ".join(r[0] for r in rows[:3]) + ("; …" if problems > 3 else "")
                    if problems
                    else "",
                    f"{records} record(s) quarantined, first: {first[0][0]}: {first[0][1]}" if records else "",
                ]
            ),
            metadata={
                "source_problems": dg.MetadataValue.json([r[0] for r in rows]),
                "quarantined_records": records,
                "first_quarantined": dg.MetadataValue.json([list(r) for r in first]),
                "stale_since": (stale[0][0] if stale else None) or "no",
            },
        )

    return checks.StepCheck(
        "source_read_cleanly",
        "The source was read without a failed fetch, a fallback to an earlier snapshot, unreadable input or a quarantined record.",
        evaluate,
    )


def build_ingest(catalogue: list[Source]) -> list[dg.AssetsDefinition]:
    return [_source_asset(s) for s in catalogue]
