"""Costs: which inputs each scenario uses, training FLOPs by every method, lineage, GPU-hours,
energy, emissions, money and reconciliation, computed with polars."""

from __future__ import annotations

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.metadata import table_metadata
from assets.resources import LedgerPaths
from pipeline import costmodel, warehouse

COSTS = "costs"
SCENARIOS = dg.AssetKey(["staging", "stg_scenarios"])
COST_SLICE_MODELS = 100_000  # (scenario, model) rows priced and written at a time: about 100 MB of cost rows


def _asset(name: str, deps: list[list[str]], description: str):
    return dg.asset(
        key=["costs", name],
        group_name=COSTS,
        kinds={"polars", "duckdb"},
        pool="duckdb_writer",
        deps=[d if isinstance(d, dg.AssetKey) else dg.AssetKey(d) for d in deps],
        description=description,
    )


def _facts(con, quantities: tuple[str, ...] | None = None) -> pl.DataFrame:
    # Inputs only: not benchmark scores, and not the paper's printed table (held beside, never used as input).
    # `quantities` narrows the read to what a step uses (their order among themselves is kept).
    only = "and quantity in (select unnest(?::varchar[]))" if quantities else ""
    return warehouse.query_frame(
        con,
        "select model_id, quantity, value, kind, source, url, accelerator_id, "
        "scope, confidence, source_name, tie_order from core.facts "
        f"where origin_kind = 'fact' {only} order by tie_order",
        [list(quantities)] if quantities else None,
    )


def _chosen_facts(con) -> pl.DataFrame:
    """The rows of `costs.fact_choices` that a scenario chose."""
    return warehouse.query_frame(con, "select * from costs.fact_choices where chosen")


@_asset(
    "scenario_accelerators",
    [["staging", "stg_scenarios"], ["staging", "stg_scenario_overrides"], ["ref", "accelerators"], ["ref", "prices"]],
    "Hardware profile per (scenario, accelerator): peak FLOP/s and MFU after overrides, TDP, PUE, grid, price.",
)
def scenario_accelerators(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        frame = costmodel.scenario_accelerators(
            warehouse.read_table(con, "ref", "accelerators"),
            warehouse.read_table(con, "staging", "stg_scenarios"),
            warehouse.read_table(con, "staging", "stg_scenario_overrides"),
            warehouse.read_table(con, "ref", "prices"),
        )
        warehouse.write_table(con, "costs", "scenario_accelerators", frame)
        return dg.MaterializeResult(metadata=table_metadata(con, "costs", "scenario_accelerators"))


@_asset(
    "fact_choices",
    [["core", "facts"], ["staging", "stg_scenarios"]],
    "Every card fact under every scenario, with `chosen` marking the value that scenario's precedence picks.",
)
def fact_choices(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        frame = costmodel.resolve_facts(_facts(con), warehouse.read_table(con, "staging", "stg_scenarios"))
        warehouse.write_table(con, "costs", "fact_choices", frame)
        return dg.MaterializeResult(metadata=table_metadata(con, "costs", "fact_choices"))


MODEL_FLOPS_DEPS = [
    dg.AssetKey(["costs", "fact_choices"]),
    dg.AssetKey(["core", "model_profiles"]),
    dg.AssetKey(["core", "facts"]),
    SCENARIOS,
    dg.AssetKey(["costs", "scenario_accelerators"]),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["costs", "flops_candidates"],
            group_name=COSTS,
            kinds={"polars", "duckdb"},
            deps=MODEL_FLOPS_DEPS,
            description="Every estimate of each model's training FLOPs: formula, hardware time, reported, estimated, published.",
        ),
        dg.AssetSpec(
            ["costs", "model_flops"],
            group_name=COSTS,
            kinds={"polars", "duckdb"},
            deps=MODEL_FLOPS_DEPS,
            description="Per (scenario, model): the chosen inputs and the training FLOPs the scenario's method precedence picks.",
        ),
    ],
    pool="duckdb_writer",
)
def model_flops(ledger: LedgerPaths, warehouse_db: DuckDBResource):
    """Training FLOPs by every method, then by each scenario's choice."""
    with warehouse_db.get_connection() as con:
        scenarios = warehouse.read_table(con, "staging", "stg_scenarios")
        models = warehouse.query_frame(
            con, "select model_id, model_type, method, teacher_id as teacher, base_model_id as base_model from core.model_profiles"
        )
        # Only chosen facts feed the inputs, and only given training FLOPs the candidates: reading every fact back
        # from DuckDB would cost more than the arithmetic done on them.
        inputs = costmodel.model_inputs(models, _chosen_facts(con), scenarios, warehouse.read_table(con, "costs", "scenario_accelerators"))
        candidates = costmodel.flops_candidates(inputs, _facts(con, ("training_flops",)))
        chosen = costmodel.choose_flops(
            inputs, candidates, scenarios, costmodel.confidence_factors(ledger.data / "reference" / "estimate_confidence.csv")
        )
        warehouse.write_table(con, "costs", "flops_candidates", candidates)
        warehouse.write_table(con, "costs", "model_flops", chosen)
        yield dg.MaterializeResult(asset_key=["costs", "flops_candidates"], metadata=table_metadata(con, "costs", "flops_candidates"))
        yield dg.MaterializeResult(
            asset_key=["costs", "model_flops"],
            metadata=table_metadata(
                con,
                "costs",
                "model_flops",
                preview_columns=[
                    "scenario",
                    "model_id",
                    "training_flops",
                    "training_flops_kind",
                    "training_flops_method",
                    "training_flops_scope",
                ],
            ),
        )


@_asset(
    "lineage",
    [["costs", "model_flops"], ["core", "lineage_edges"]],
    "Marginal compute (what the paper counts) and lineage compute (base model's pretraining plus every later step).",
)
def lineage(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        # a base model named but matching no model is kept as `base_unresolved`: a cumulative figure is then not marginal
        parents = warehouse.query_frame(
            con,
            "select child_id as model_id, any_value(parent_id) filter (where resolved) as parent_id, "
            "not bool_or(resolved) as base_unresolved "
            "from core.lineage_edges where relation = 'base' group by 1",
        )
        flops = warehouse.read_table(con, "costs", "model_flops", list(costmodel.LINEAGE_INPUTS))
        frame = costmodel.lineage(flops, parents)
        warehouse.write_table(con, "costs", "lineage", frame)
        return dg.MaterializeResult(
            metadata=table_metadata(
                con, "costs", "lineage", preview_columns=["scenario", "model_id", "marginal_flops", "lineage_flops", "lineage_path"]
            )
        )


@_asset(
    "model_costs",
    [["costs", "model_flops"], ["costs", "scenario_accelerators"]],
    "Training and inference cost of every model on every accelerator under every scenario, with each number's kind and source "
    "(the model's inputs are in costs.model_flops, the hardware profile in costs.scenario_accelerators).",
)
def model_costs(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        flops = warehouse.read_table(con, "costs", "model_flops", costmodel.MODEL_COSTS_INPUTS)
        hardware = warehouse.read_table(con, "costs", "scenario_accelerators")
        # Each (scenario, model) row is priced on its own, so the table is built a slice of models at a time:
        # every model on every accelerator at once would make it the run's largest step in memory.
        slices = flops.iter_slices(COST_SLICE_MODELS)
        warehouse.write_table_in_slices(
            con,
            "costs",
            "model_costs",
            costmodel.model_costs(next(slices, flops.clear()), hardware),
            (costmodel.model_costs(part, hardware) for part in slices),
        )
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                "costs",
                "model_costs",
                preview_columns=[
                    "scenario",
                    "model_id",
                    "accelerator_id",
                    "training_flops",
                    "gpu_hours",
                    "gpu_hours_kind",
                    "tco2e",
                    "cost_usd",
                ],
            )
        )


@_asset(
    "reconciliation",
    [["costs", "model_flops"], ["costs", "model_costs"], ["costs", "flops_candidates"], ["costs", "fact_choices"]],
    f"Every value used against each alternative for the same quantity, with the ratio; flagged past "
    f"{costmodel.RECONCILIATION_THRESHOLD}x either way.",
)
def reconciliation(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        # Of the cost rows only those with a reported figure or a GPU count to compare, and of the fact choices only
        # the quantities compared: reconcile reads nothing else of them.
        costs = warehouse.query_frame(
            con,
            """
            select c.* from costs.model_costs c
            where c.gpu_hours_kind <> 'computed' or c.tco2e_kind <> 'computed'
               or exists (select 1 from costs.fact_choices f where f.chosen and f.quantity = 'gpu_count'
                          and f.scenario = c.scenario and f.model_id = c.model_id)""",
        )
        choices = warehouse.query_frame(con, "select * from costs.fact_choices where quantity in ('gpu_count', 'training_days', 'tco2e')")
        frame = costmodel.reconcile(
            warehouse.read_table(con, "costs", "model_flops", costmodel.RECONCILE_FLOPS_INPUTS),
            costs,
            warehouse.read_table(con, "costs", "flops_candidates"),
            choices,
        )
        warehouse.write_table(con, "costs", "reconciliation", frame)
        meta = table_metadata(con, "costs", "reconciliation", preview_columns=["scenario", "model_id", "quantity", "ratio", "flagged"])
    meta["flagged"] = int(frame["flagged"].sum())
    return dg.MaterializeResult(metadata=meta)


@_asset(
    "workload_costs",
    [["ref", "workloads"], SCENARIOS, ["costs", "scenario_accelerators"]],
    "The paper's §4 workloads priced on every accelerator under every scenario (Table 2 and the case studies).",
)
def workload_costs(warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_db.get_connection() as con:
        frame = costmodel.workload_costs(
            warehouse.read_table(con, "ref", "workloads"),
            warehouse.read_table(con, "staging", "stg_scenarios"),
            warehouse.read_table(con, "costs", "scenario_accelerators"),
        )
        warehouse.write_table(con, "costs", "workload_costs", frame)
        return dg.MaterializeResult(
            metadata=table_metadata(
                con,
                "costs",
                "workload_costs",
                preview_columns=["scenario", "workload_id", "accelerator_id", "training_flops", "mfu", "gpu_hours", "tco2e", "cost_usd"],
            )
        )


cost_assets = [scenario_accelerators, fact_choices, model_flops, lineage, model_costs, reconciliation, workload_costs]
