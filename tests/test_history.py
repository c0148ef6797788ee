"""History: (source, snapshot date) partitions parsed in parallel by the multiprocess executor, then loaded
into DuckDB by one writer; the archive the source assets keep; the sensor that finds new dates."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline import history
from pipeline.catalogue import Source
from pipeline.paths import PROJECT_ROOT
from pipeline.sources.model_cards import available_cores

pytestmark = pytest.mark.timeout(400)
CARDS = PROJECT_ROOT / "data" / "model_cards"
DATES = ["2026-11-01", "2026-11-02"]


def _card_files() -> list[tuple[str, bytes]]:
    return sorted((p.name, p.read_bytes()) for p in CARDS.glob("*.md") if p.name.lower() != "readme.md")


def _halve_first_score(raw: bytes) -> bytes:
    return re.sub(rb"value: (\d+(?:\.\d+)?)", lambda m: b"value: %g" % (float(m.group(1)) / 2), raw, count=1)


@pytest.fixture()
def archive_env(tmp_path, monkeypatch):
    """Two card sources archived on two dates; on the second date one card reports a different GPQA score."""
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text(
        "sources:\n"
        f"  - {{name: cards_a, kind: hf_model_cards, path: {CARDS}}}\n"
        f"  - {{name: cards_b, kind: hf_model_cards, path: {CARDS}}}\n"
    )
    for name, value in (
        ("LEDGER_SOURCES", catalogue),
        ("LEDGER_STATE_DIR", tmp_path / "state"),
        ("LEDGER_OUT_DIR", tmp_path / "out"),
        ("LEDGER_ARCHIVE_DIR", tmp_path / "archive"),
    ):
        monkeypatch.setenv(name, str(value))
    files = _card_files()
    changed_name, changed = next((n, raw) for n, raw in files if b"GPQA" in raw and b"value: " in raw)
    for source in ("cards_a", "cards_b"):
        history.archive_inputs(tmp_path / "archive", source, DATES[0], files, "v1")
        edited = [(n, _halve_first_score(raw) if n == changed_name else raw) for n, raw in files]
        history.archive_inputs(tmp_path / "archive", source, DATES[1], edited, "v2")
    return tmp_path


def test_archiving_the_same_data_version_twice_writes_once(tmp_path):
    files = _card_files()[:2]
    assert history.archive_inputs(tmp_path, "s", "2026-11-01", files, "v1")
    assert not history.archive_inputs(tmp_path, "s", "2026-11-01", files, "v1")
    assert history.archive_inputs(tmp_path, "s", "2026-11-01", files[:1], "v2")  # same day, new data: replaced
    assert sorted(p.name for p in (tmp_path / "s" / "2026-11-01").iterdir()) == sorted([files[0][0], history.MANIFEST])
    assert history.snapshot_dates(tmp_path, ["s", "absent"]) == ["2026-11-01"]
    (tmp_path / "s" / "2026-13-45").mkdir()  # not a date: ignored
    assert history.snapshot_dates(tmp_path, ["s"]) == ["2026-11-01"]


def test_an_input_name_cannot_write_outside_its_snapshot(tmp_path):
    archive = tmp_path / "archive"
    history.archive_inputs(archive, "s", "2026-11-01", [("../../escaped.md", b"x"), ("ok.md", b"y")], "v1")
    assert not list(tmp_path.rglob("escaped.md"))
    assert sorted(p.name for p in (archive / "s" / "2026-11-01").iterdir()) == [history.MANIFEST, "ok.md"]


def test_a_backfill_parses_each_date_with_one_process_per_source_then_one_writer_loads_it(archive_env):
    from assets.history import SNAPSHOT_DATES, build_history_definitions, history_backfill_job

    home = archive_env / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")  # the project's instance settings (pools)
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        defs = build_history_definitions()
        sensor = defs.resolve_sensor_def("snapshot_date_sensor")
        found = sensor(dg.build_sensor_context(instance=instance, resources=defs.resources))
        assert [r.partition_key for r in found.run_requests] == DATES
        instance.add_dynamic_partitions(SNAPSHOT_DATES.name, DATES)
        assert not sensor(dg.build_sensor_context(instance=instance, resources=defs.resources)).run_requests  # nothing new the second time

        for snapshot_date in DATES:
            result = dg.execute_job(dg.reconstructable(history_backfill_job), instance=instance, tags={"dagster/partition": snapshot_date})
            assert result.success
            events = [e for e in instance.all_logs(result.run_id) if e.dagster_event]
            launched = [e for e in events if e.dagster_event.event_type_value == "STEP_WORKER_STARTING"]
            started = {e.step_key: e.dagster_event.pid for e in events if e.dagster_event.event_type_value == "STEP_START"}
            finished = [e.timestamp for e in events if e.dagster_event.event_type_value == "STEP_SUCCESS"]
            assert sorted(started) == ["landing__cards_a", "landing__cards_b"]
            assert len(set(started.values())) == 2  # a process each
            if available_cores() >= 2:  # ... both launched before either finished
                assert len(launched) == 2 and max(e.timestamp for e in launched) < min(finished)

        loaded = dg.materialize(defs.assets[-1:], instance=instance, resources=defs.resources)
        assert loaded.success
    database = archive_env / "state" / "warehouse.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        per_date = con.execute(
            "select source_name, cast(snapshot_date as varchar), count(*) from history.models group by all order by 1, 2"
        ).fetchall()
        assert per_date == [(s, d, len(_card_files())) for s in ("cards_a", "cards_b") for d in DATES]
        changed = con.execute("""
            select count(*) from history.benchmarks a join history.benchmarks b
              on a.source_name = b.source_name and a.record_id = b.record_id and a.benchmark = b.benchmark
             and a.metric is not distinct from b.metric
            where a.snapshot_date = '2026-11-01' and b.snapshot_date = '2026-11-02' and a.score_raw <> b.score_raw""").fetchall()
        assert changed == [(2,)]  # the edited score, once per source


def test_the_runs_of_two_dates_can_execute_at_the_same_time(archive_env):
    # A backfill is one run per date. Landing steps never open DuckDB, so two dates' runs may execute side by
    # side: here as two `dagster job execute` processes started together (the daemon's run queue would need
    # max_concurrent_runs above one in dagster.yaml to do the same for a backfill launched from the UI).
    from assets.history import SNAPSHOT_DATES

    home = archive_env / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(SNAPSHOT_DATES.name, DATES)
    dagster = str(Path(sys.executable).with_name("dagster"))
    runs = [
        subprocess.Popen(
            [dagster, "job", "execute", "-m", "assets.history", "-j", "history_backfill", "--tags", json.dumps({"dagster/partition": day})],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for day in DATES
    ]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()[-2000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records()
        assert sorted(r.dagster_run.tags["dagster/partition"] for r in records) == DATES
        assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
        assert max(r.start_time for r in records) < min(r.end_time for r in records)  # they overlapped
    landed = {(p.parent.parent.name, p.parent.name) for p in (archive_env / "state" / "landing").rglob("*.parquet")}
    assert {day for _, day in landed} == {f"snapshot_date={day}" for day in DATES}


def test_the_source_assets_archive_what_they_read(tmp_path, monkeypatch):
    from assets.definitions import build_definitions

    shutil.copytree(CARDS, tmp_path / "cards")
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text(f"sources:\n  - {{name: cards, kind: hf_model_cards, path: {tmp_path / 'cards'}}}\n")
    monkeypatch.setenv("LEDGER_ARCHIVE_DIR", str(tmp_path / "archive"))
    defs = build_definitions(catalogue_file=catalogue, out_dir=tmp_path / "out", state_dir=tmp_path / "state")
    source = defs.resolve_assets_def(dg.AssetKey(["sources", "cards"]))
    assert dg.materialize([source]).success  # the asset comes with the definitions' resources
    [day] = history.snapshot_dates(tmp_path / "archive", ["cards"])
    archived = history.snapshot_files(tmp_path / "archive", Source("cards", "hf_model_cards"), day)
    assert sorted(n for n, _ in archived) == sorted(p.name for p in (tmp_path / "cards").glob("*.md"))
