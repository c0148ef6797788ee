"""Costs: training FLOPs, GPU-hours, energy and emissions for every scenario, computed with polars."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.metadata import table_metadata
from pipeline import costmodel, warehouse

COSTS = "costs"


@dg.asset(key=["costs", "scenario_accelerators"], group_name=COSTS, kinds={"polars", "duckdb"}, pool="duckdb_writer",
          deps=[dg.AssetKey(["ref", "accelerators"]), dg.AssetKey(["ref", "scenarios"]), dg.AssetKey(["ref", "scenario_overrides"])])
def scenario_accelerators(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Hardware profile per (scenario, accelerator): peak FLOP/s and MFU after the scenario's overrides, TDP, PUE, grid."""
    with warehouse_db.get_connection() as con:
        frame = costmodel.scenario_accelerators(warehouse.read_table(con, "ref", "accelerators"),
                                                warehouse.read_table(con, "ref", "scenarios"),
                                                warehouse.read_table(con, "ref", "scenario_overrides"))
        warehouse.write_table(con, "costs", "scenario_accelerators", frame)
        return dg.MaterializeResult(metadata=table_metadata(con, "costs", "scenario_accelerators"))


@dg.asset(key=["costs", "model_costs"], group_name=COSTS, kinds={"polars", "duckdb"}, pool="duckdb_writer",
          deps=[dg.AssetKey(["staging", "stg_models"]), dg.AssetKey(["staging", "stg_model_facts"]),
                dg.AssetKey(["ref", "scenarios"]), dg.AssetKey(["costs", "scenario_accelerators"])])
def model_costs(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Training cost of every model on every accelerator under every scenario, with each number's kind and source."""
    with warehouse_db.get_connection() as con:
        models = con.sql("select model_id, model as name, model_type, method, teacher, base_model from staging.stg_models").pl()
        facts = con.sql("select model_id, quantity, value, kind, source, url, accelerator_id as accelerator "
                        "from staging.stg_model_facts").pl()
        frame = costmodel.model_costs(models, facts, warehouse.read_table(con, "ref", "scenarios"),
                                      warehouse.read_table(con, "costs", "scenario_accelerators"))
        warehouse.write_table(con, "costs", "model_costs", frame)
        meta = table_metadata(con, "costs", "model_costs", preview_columns=[
            "scenario", "model_id", "accelerator_id", "training_flops", "gpu_hours", "gpu_hours_kind", "tco2e", "tco2e_kind"])
    return dg.MaterializeResult(metadata=meta)


@dg.asset(key=["costs", "workload_costs"], group_name=COSTS, kinds={"polars", "duckdb"}, pool="duckdb_writer",
          deps=[dg.AssetKey(["ref", "workloads"]), dg.AssetKey(["ref", "scenarios"]), dg.AssetKey(["costs", "scenario_accelerators"])])
def workload_costs(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """The paper's §4 workloads priced on every accelerator under every scenario (Table 2 and the case studies)."""
    with warehouse_db.get_connection() as con:
        frame = costmodel.workload_costs(warehouse.read_table(con, "ref", "workloads"),
                                         warehouse.read_table(con, "ref", "scenarios"),
                                         warehouse.read_table(con, "costs", "scenario_accelerators"))
        warehouse.write_table(con, "costs", "workload_costs", frame)
        meta = table_metadata(con, "costs", "workload_costs", preview_columns=[
            "scenario", "workload_id", "accelerator_id", "training_flops", "mfu", "gpu_hours", "tco2e"])
    return dg.MaterializeResult(metadata=meta)


cost_assets = [scenario_accelerators, model_costs, workload_costs]
