"""The code location loads, and every asset is documented, grouped by layer and kinded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from assets.definitions import defs as load_defs

LAYERS = {"ingest", "reference", "validate", "staging", "core", "costs", "marts", "outputs", "publish"}


SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def asset_graph_snapshot(defs: dg.Definitions) -> dict:
    """Every asset of the location: its group, what it depends on and its checks (blocking marked)."""
    graph = defs.get_repository_def().asset_graph
    return {
        key.to_user_string(): {
            "group": graph.get(key).group_name,
            "deps": sorted(parent.to_user_string() for parent in graph.get(key).parent_keys),
            "checks": sorted(f"{spec.name}{' (blocking)' if spec.blocking else ''}" for spec in _check_specs(defs, key)),
        }
        for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    }


def _check_specs(defs: dg.Definitions, key: dg.AssetKey):
    for assets_def in defs.get_repository_def().asset_graph.assets_defs:
        for spec in assets_def.check_specs:
            if spec.asset_key == key:
                yield spec


def test_the_asset_graph_is_the_one_committed():
    """The embedded default's graph (keys, groups, dependencies, checks) against tests/snapshots/asset_graph.json:
    a change to the graph shows in review. `LEDGER_UPDATE_SNAPSHOTS=1 make test-fast` rewrites the file."""
    current = asset_graph_snapshot(load_defs())
    if os.environ.get("LEDGER_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=1) + "\n")
    committed = json.loads(SNAPSHOT.read_text())
    assert current.keys() == committed.keys(), {
        "added": sorted(current.keys() - committed.keys()),
        "removed": sorted(committed.keys() - current.keys()),
    }
    for key in current:
        assert current[key] == committed[key], key


def test_definitions_load_and_every_asset_is_documented_grouped_and_kinded():
    repo = load_defs().get_repository_def()
    graph = repo.asset_graph
    keys = list(graph.get_all_asset_keys())
    for key in keys:
        node = graph.get(key)
        assert node.description, key
        assert node.group_name in LAYERS, key
        assert node.kinds, key
        assert node.owners == ["team:distill-ledger"], key
    assert dg.AssetKey(["publish", "published_warehouse"]) in keys


def test_schedule_and_sensor_run_by_default():
    repo = load_defs().get_repository_def()
    schedule = repo.get_schedule_def("daily_leaderboard_ingestion")
    sensor = repo.get_sensor_def("model_card_sensor")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_model_card_sensor_fires_only_when_a_card_changes(tmp_path):
    from assets.definitions import build_definitions

    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "a.md").write_text("---\nlicense: mit\n---\n")
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text("sources:\n  - {name: my_cards, kind: hf_model_cards, path: cards}\n")
    defs = build_definitions(catalogue_file=catalogue, out_dir=tmp_path / "out", state_dir=tmp_path / "state")
    sensor = defs.get_repository_def().get_sensor_def("model_card_sensor")
    with dg.build_sensor_context() as context:
        assert isinstance(sensor(context), dg.SkipReason)  # first look records the cards
        assert isinstance(sensor(context), dg.SkipReason)  # nothing changed
        (cards / "b.md").write_text("---\nlicense: apache-2.0\n---\n")
        assert isinstance(sensor(context), dg.RunRequest)


def test_the_catalogue_decides_the_source_assets(tmp_path):
    from assets.definitions import build_definitions

    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text("sources:\n  - {name: board, kind: epoch_benchmarks, benchmark: gpqa_diamond, path: gpqa.csv}\n")
    graph = (
        build_definitions(catalogue_file=catalogue, out_dir=tmp_path / "out", state_dir=tmp_path / "state").get_repository_def().asset_graph
    )
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert "sources/board" in keys and "sources/embedded_model_cards" not in keys


def test_automation_sensor_runs_by_default_and_sources_alone_are_scheduled():
    repo = load_defs().get_repository_def()
    sensor = repo.get_sensor_def("default_automation_condition_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    scheduled = repo.get_job("leaderboard_refresh").asset_layer.selected_asset_keys
    assert scheduled and all(key.path[0] == "sources" for key in scheduled)
    graph = repo.asset_graph
    for key in graph.get_all_asset_keys():
        condition = graph.get(key).automation_condition
        assert (condition is None) == (key.path[0] == "sources"), key


def test_every_code_location_in_the_workspace_loads_with_documented_assets():
    import importlib

    import yaml

    from pipeline.paths import PROJECT_ROOT

    entries = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())["load_from"]
    modules = [e["python_module"]["module_name"] for e in entries]
    assert modules == ["assets.definitions", "assets.history"]
    for module in modules:
        location = importlib.import_module(module).defs()
        graph = location.get_repository_def().asset_graph
        for key in graph.get_all_asset_keys():
            node = graph.get(key)
            assert node.description and node.kinds and node.owners == ["team:distill-ledger"], key
            assert node.group_name in LAYERS | {"history"}, key
    history = importlib.import_module("assets.history").defs().get_repository_def()
    assert history.get_sensor_def("snapshot_date_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert history.get_sensor_def("history_automation_sensor").default_status == dg.DefaultSensorStatus.RUNNING


def test_each_refresh_value_has_its_schedule_and_manual_sources_none(tmp_path):
    from assets.definitions import build_definitions

    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text(
        "sources:\n"
        "  - {name: board, kind: epoch_benchmarks, benchmark: gpqa_diamond, path: gpqa.csv}\n"
        "  - {name: slow_board, kind: epoch_benchmarks, benchmark: aime, path: aime.csv, refresh: weekly}\n"
        "  - {name: kept, kind: open_llm_leaderboard, path: oll.csv, refresh: manual}\n"
        "  - {name: my_cards, kind: hf_model_cards, path: cards}\n"
    )
    repo = build_definitions(catalogue_file=catalogue, out_dir=tmp_path / "out", state_dir=tmp_path / "state").get_repository_def()

    def scheduled(name):
        schedule = repo.get_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
        keys = repo.get_job(schedule.job_name).asset_layer.selected_asset_keys
        return schedule.cron_schedule, {key.path[-1] for key in keys}

    assert scheduled("daily_leaderboard_ingestion") == ("0 6 * * *", {"board"})  # the leaderboard kinds' default
    assert scheduled("weekly_source_ingestion") == ("0 6 * * 1", {"slow_board"})
    # `manual` and the cards (manual by default; a local folder has its sensor) are on no schedule
    all_scheduled = {key.path[-1] for s in repo.schedule_defs for key in repo.get_job(s.job_name).asset_layer.selected_asset_keys}
    assert "kept" not in all_scheduled and "my_cards" not in all_scheduled


def test_a_misspelt_name_in_a_registry_fails_at_load_and_says_what_exists():
    from assets import marts, sql_assets
    from pipeline.catalogue import Source
    from pipeline.registry import UnknownName

    with pytest.raises(UnknownName, match=r"unknown sql/marts file 'model_comparsion'; known: distillation_pairs, "):
        sql_assets.sql_file_assets("marts", "marts", "table", {"model_comparsion": marts.MART_CHECKS["model_comparison"]})
    with pytest.raises(UnknownName, match="unknown source kind 'epoch_model'; known: hf_model_cards, hf_hub, epoch_models"):
        Source(name="x", kind="epoch_model")
    with pytest.raises(UnknownName, match="unknown SQL table given a schema 'marts/model_comparisons'"):
        sql_assets.check_schema_tables(sql_assets.SQL_TABLE_SCHEMAS | {("marts", "model_comparisons"): object})


def test_the_kinds_table_in_the_docs_is_the_registry():
    from pipeline.paths import PROJECT_ROOT
    from pipeline.sources.kinds import docs_table

    assert docs_table() in (PROJECT_ROOT / "docs" / "sources.md").read_text(), "run `make docs` and commit docs/sources.md"
