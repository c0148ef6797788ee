"""Incremental refresh: unchanged sources re-materialised by the schedule trigger nothing downstream;
a changed source triggers exactly the assets that depend on it."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from pipeline.paths import PROJECT_ROOT

pytestmark = pytest.mark.timeout(300)


def requested(result) -> set[str]:
    return {r.key.to_user_string() for r in result.results if r.true_subset.size}


def test_only_dependants_of_a_changed_source_are_rebuilt(tmp_path):
    from assets.definitions import build_definitions

    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text((PROJECT_ROOT / "sources.yaml").read_text())
    defs = build_definitions(catalogue_file=catalogue, data_dir=tmp_path / "data", out_dir=tmp_path / "out", state_dir=tmp_path / "state")
    everything = defs.resolve_implicit_global_asset_job_def()
    sources = {key for key in defs.get_repository_def().asset_graph.get_all_asset_keys() if key.path[0] == "sources"}
    with dg.instance_for_test() as instance:
        assert everything.execute_in_process(instance=instance).success
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert tick.total_requested == 0

        # The schedule re-reads every source; nothing changed, so nothing downstream is requested.
        assert everything.get_subset(asset_selection=sources).execute_in_process(instance=instance).success
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert tick.total_requested == 0

        # Table 2 changes: only what depends on it is requested (not the cards' validation, not the model costs).
        table2 = tmp_path / "data" / "paper" / "table2.csv"
        table2.write_text(table2.read_text().replace("2297", "2298"))
        key = dg.AssetKey(["sources", "paper_table2"])
        assert everything.get_subset(asset_selection={key}).execute_in_process(instance=instance).success
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        graph = defs.get_repository_def().asset_graph
        expected = {
            k.to_user_string()
            for k in graph.get_all_asset_keys()
            if k in dg.AssetSelection.assets(key).downstream(include_self=False).resolve(graph)
        }
        assert requested(tick) == expected
        assert "validated/paper_table2" in expected and "marts/hardware_comparison" in expected
        assert "validated/models" not in expected and "costs/model_costs" not in expected
