"""Reference tables: accelerators, scenarios, workloads and benchmarks, validated as they load into `ref`."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.metadata import descriptions_from, table_metadata
from assets.resources import LedgerPaths
from pipeline import schemas, warehouse
from pipeline.sources import reference
from pipeline.validation import split_valid

REFERENCE = "reference"


def _load(con, table: str, frame, schema, id_column: str) -> dict:
    valid, rejects = split_valid(frame, schema, f"ref.{table}", id_column) if schema else (frame, None)
    warehouse.write_table(con, "ref", table, valid)
    if rejects is not None:
        warehouse.replace_quarantine(con, f"ref.{table}", rejects)
    meta = table_metadata(con, "ref", table, descriptions_from(schema))
    meta["quarantined_rows"] = 0 if rejects is None else rejects.height
    return meta


@dg.asset(key=["ref", "accelerators"], group_name=REFERENCE, kinds={"duckdb"}, pool="duckdb_writer")
def accelerators(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Accelerator catalogue: dense BF16 peak TFLOP/s, TDP and MFU range per accelerator, with datasheet links."""
    frame = reference.read_accelerators(ledger.data / "reference" / "accelerators.csv")
    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata=_load(con, "accelerators", frame, schemas.Accelerator, "accelerator_id"))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["ref", "scenarios"], kinds={"duckdb"}, group_name=REFERENCE, description="Scenario presets (paper, default, ...): PUE, grid intensity, MoE convention, fact precedence."),
        dg.AssetSpec(["ref", "scenario_overrides"], kinds={"duckdb"}, group_name=REFERENCE, description="Per-scenario overrides of an accelerator's peak FLOP/s or MFU."),
    ],
    pool="duckdb_writer",
)
def scenarios(ledger: LedgerPaths, warehouse_db: DuckDBResource):
    """Scenario presets from `data/reference/scenarios.yaml`."""
    frames = reference.read_scenarios(ledger.data / "reference" / "scenarios.yaml")
    with warehouse_db.get_connection() as con:
        yield dg.MaterializeResult(asset_key=["ref", "scenarios"],
                                   metadata=_load(con, "scenarios", frames["scenarios"], schemas.Scenario, "scenario"))
        yield dg.MaterializeResult(asset_key=["ref", "scenario_overrides"],
                                   metadata=_load(con, "scenario_overrides", frames["overrides"], None, "scenario"))


@dg.asset(key=["ref", "workloads"], group_name=REFERENCE, kinds={"duckdb"}, pool="duckdb_writer")
def workloads(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """The paper's §4 workloads (pretraining, distillation, fine-tuning, frontier estimate) as cost-model inputs."""
    frame = reference.read_workloads(ledger.data / "reference" / "workloads.yaml")
    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata=_load(con, "workloads", frame, schemas.Workload, "workload_id"))


@dg.asset(key=["ref", "benchmarks"], group_name=REFERENCE, kinds={"duckdb"}, pool="duckdb_writer")
def benchmarks(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Benchmark catalogue: canonical ids and the names sources use for them."""
    frame = reference.read_benchmarks(ledger.data / "reference" / "benchmarks.csv")
    with warehouse_db.get_connection() as con:
        return dg.MaterializeResult(metadata=_load(con, "benchmarks", frame, None, "benchmark_id"))


reference_assets = [accelerators, scenarios, workloads, benchmarks]
