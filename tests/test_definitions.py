"""The code location loads, and every asset is documented, grouped by layer and kinded."""

from __future__ import annotations

import dagster as dg

from assets.definitions import defs

LAYERS = {"ingest", "reference", "validate", "staging", "core", "costs", "marts", "outputs", "publish"}


def test_definitions_load_and_every_asset_is_documented_grouped_and_kinded():
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    keys = list(graph.get_all_asset_keys())
    assert len(keys) >= 25
    for key in keys:
        node = graph.get(key)
        assert node.description, key
        assert node.group_name in LAYERS, key
        assert node.kinds, key
    assert dg.AssetKey(["publish", "published_warehouse"]) in keys


def test_schedule_and_sensor_run_by_default():
    repo = defs.get_repository_def()
    schedule = repo.get_schedule_def("daily_leaderboard_ingestion")
    sensor = repo.get_sensor_def("model_card_sensor")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_model_card_sensor_fires_only_when_a_card_changes(tmp_path):
    from assets.definitions import build_definitions

    cards = tmp_path / "data" / "model_cards"
    cards.mkdir(parents=True)
    (cards / "a.md").write_text("---\nlicense: mit\n---\n")
    sensor = build_definitions(data_dir=tmp_path / "data", out_dir=tmp_path / "out",
                               state_dir=tmp_path / "state").get_repository_def().get_sensor_def("model_card_sensor")
    from assets.resources import build_resources
    resources = build_resources(data_dir=tmp_path / "data", out_dir=tmp_path / "out", state_dir=tmp_path / "state")
    with dg.build_sensor_context(resources=resources) as context:
        first = sensor(context)
        assert isinstance(first, dg.SkipReason)
        assert isinstance(sensor(context), dg.SkipReason)
        (cards / "b.md").write_text("---\nlicense: apache-2.0\n---\n")
        request = sensor(context)
        assert isinstance(request, dg.RunRequest)
