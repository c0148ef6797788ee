"""History: every source's dated snapshots, partitioned by (source, snapshot date), backfilled in parallel.

This is its own code location (workspace.yaml loads it beside `assets.definitions`): its assets are
partitioned, and keeping them apart leaves the main graph unpartitioned, so `make run`, the jobs and the
automation sensor of the main location work on it unchanged. Both locations share the Dagster instance,
so the `duckdb_writer` pool still admits one DuckDB writer at a time across them.

- `landing/<source>`: one asset per catalogue source, partitioned by snapshot date (dynamic: the dates
  found in the archive). A partition parses that day's files with the source's own parser and writes
  Parquet landing files; no database, so the sources of one date run in parallel processes.
- `history/snapshot_tables`: one DuckDB writer loads every landing file into `history.models`, `.facts`,
  `.benchmarks` and `.rejects`, each row carrying its source and snapshot date.
- `history_backfill` (multiprocess executor) materialises the landing assets of one date; a backfill over
  dates is one such run per date. `snapshot_date_sensor` adds new archive dates as partitions and requests
  their runs; the automation sensor then reloads the history tables.
"""

import os

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.metadata import table_metadata
from assets.resources import LedgerPaths, build_resources
from pipeline import history
from pipeline.catalogue import Source, catalogue_path, load_catalogue
from pipeline.sources.model_cards import available_cores

SNAPSHOT_DATES = dg.DynamicPartitionsDefinition(name="snapshot_dates")
HISTORY = "history"


def landing_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", name])


def _landing_asset(source: Source) -> dg.AssetsDefinition:
    @dg.asset(
        key=landing_key(source.name),
        partitions_def=SNAPSHOT_DATES,
        group_name=HISTORY,
        kinds={"parquet", "polars"},
        owners=["team:distill-ledger"],
        description=f"Source `{source.name}` ({source.kind}) as archived on each snapshot date, parsed into Parquet.",
    )
    def _asset(context: dg.AssetExecutionContext, ledger: LedgerPaths) -> dg.MaterializeResult:
        snapshot_date = context.partition_key
        files = history.snapshot_files(ledger.archive_dir, source, snapshot_date)
        frames = history.parse_snapshot(source, files)
        rows = history.write_landing(ledger.landing_dir, source.name, snapshot_date, frames)
        return dg.MaterializeResult(
            data_version=dg.DataVersion(history.inputs_version(files)),
            metadata={
                "files": len(files),
                **{f"{name}_rows": n for name, n in rows.items()},
                "dagster/row_count": sum(n for name, n in rows.items() if name != "rejects"),
                "process_id": os.getpid(),
            },
        )

    return _asset


def _snapshot_tables(landing_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["history", "snapshot_tables"],
        deps=landing_keys,
        group_name=HISTORY,
        kinds={"duckdb"},
        pool="duckdb_writer",
        owners=["team:distill-ledger"],
        automation_condition=dg.AutomationCondition.eager(),
        description="Every source's landed snapshots in DuckDB: history.models, history.facts, history.benchmarks "
        "and history.rejects, with source_name and snapshot_date on every row.",
    )
    def _asset(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with warehouse_db.get_connection() as con:
            counts = history.load_landing(con, ledger.landing_dir)
            metadata = table_metadata(con, "history", "benchmarks")
        return dg.MaterializeResult(metadata={**metadata, **{f"{name}_rows": n for name, n in counts.items()}})

    return _asset


def build_history_definitions() -> dg.Definitions:
    catalogue = load_catalogue(catalogue_path())
    landing = [_landing_asset(s) for s in catalogue]
    keys = [landing_key(s.name) for s in catalogue]
    backfill = dg.define_asset_job(
        "history_backfill",
        selection=dg.AssetSelection.assets(*keys),
        partitions_def=SNAPSHOT_DATES,
        executor_def=dg.multiprocess_executor.configured({"max_concurrent": available_cores()}),
        description="Parse every source's snapshot of one date, one process per source.",
    )

    @dg.sensor(
        job=backfill,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Adds each new snapshot date in the archive as a partition and requests its backfill run.",
    )
    def snapshot_date_sensor(context: dg.SensorEvaluationContext, ledger: LedgerPaths) -> dg.SensorResult:
        paths = ledger  # the location's own resource: the archive its assets read
        known = set(context.instance.get_dynamic_partitions(SNAPSHOT_DATES.name))
        new = [d for d in history.snapshot_dates(paths.archive_dir, [s.name for s in catalogue]) if d not in known]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(partition_key=d, run_key=f"snapshot-{d}") for d in new],
            dynamic_partitions_requests=[SNAPSHOT_DATES.build_add_request(new)] if new else [],
        )

    reload_sensor = dg.AutomationConditionSensorDefinition(
        "history_automation_sensor",
        target=dg.AssetSelection.groups(HISTORY),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=60,
        description="Reloads the history tables after new snapshots landed.",
    )
    return dg.Definitions(
        assets=[*landing, _snapshot_tables(keys)],
        jobs=[backfill],
        sensors=[snapshot_date_sensor, reload_sensor],
        resources=build_resources(),
        executor=dg.in_process_executor,
    )


def history_backfill_job() -> dg.JobDefinition:
    """For `dg.reconstructable`: the backfill job as the worker processes rebuild it."""
    return build_history_definitions().resolve_job_def("history_backfill")


@dg.definitions
def defs() -> dg.Definitions:
    return build_history_definitions()
