"""The benchmark harness keeps working (its numbers are in the README, never asserted here)."""

from __future__ import annotations

from bench import stages
from bench.generate import write_cards
from pipeline import schemas


def test_the_pipeline_stage_runs_the_pipelines_own_assets_on_the_generated_rows():
    result = stages.run("pipeline", 400, None)  # 4 facts per model: 100 models
    assert result["rows_model_facts"] == 400  # every generated fact validated
    assert result["rows_fact_choices"] == 400 * 2  # ... under each of the two scenarios
    assert result["rows_model_costs"] == 100 * 2 * 6  # each model on each of the six accelerators
    assert result["rows_model_comparison"] == 100 * 2  # one mart row per (scenario, model)
    assert {"step_fact_choices", "step_model_flops", "step_model_costs", "step_lineage", "step_reconciliation"} <= set(result)
    # the storage floor copies every table the timed steps wrote, each whole
    assert {f"storage_floor_{key[1]}" for key in stages.PIPELINE_SELECTION} <= set(result)
    assert result["storage_floor_values"] == result["stored_values"]
    assert result["stored_values"] >= 100 * 2 * 6 * len(schemas.MODEL_COSTS.columns)  # model_costs alone has this many


def test_the_three_card_parsing_stages_read_the_same_cards(tmp_path):
    folder = write_cards(tmp_path / "cards", 300)
    models = {stage: stages.run(stage, 300, str(folder))["models"] for stage in stages.CARD_STAGES}
    assert set(models.values()) == {300}


def test_the_no_op_twin_has_the_real_graphs_assets_and_checks():
    from assets.definitions import defs as lazy_defs
    from bench.noop_twin import defs as lazy_twin

    defs, twin = lazy_defs(), lazy_twin()

    real, copy = defs.resolve_asset_graph(), twin.resolve_asset_graph()
    assert copy.get_all_asset_keys() == real.get_all_asset_keys()
    assert copy.asset_check_keys == real.asset_check_keys
    for key in real.get_all_asset_keys():
        assert copy.get(key).parent_keys == real.get(key).parent_keys
    # the same steps: the twin measures Dagster's cost for this graph as it runs
    assert sorted(a.node_def.name for a in twin.assets) == sorted(a.node_def.name for a in defs.assets)
    result = twin.resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.success
    assert len(result.get_step_success_events()) == len(defs.assets)


def test_every_cost_baseline_computes_every_row():
    for stage in ("cost_polars", "cost_pandas_vector", "cost_duckdb", "cost_pandas_rows"):
        assert stages.run(stage, 2_000, None)["rows_out"] == 2_000, stage


def test_a_card_source_step_is_timed_in_a_dagster_run_started_either_way(tmp_path):
    from pipeline.sources.model_cards import PARALLEL_MIN_CARDS

    count = PARALLEL_MIN_CARDS + 100  # enough for a second process
    folder = write_cards(tmp_path / "cards", count)
    for stage in stages.DAGSTER_CARD_STAGES:
        result = stages.run(stage, count, str(folder))
        assert result["models"] == count and result["seconds"] > 0, stage
