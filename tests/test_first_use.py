"""What a person meets on first use (issue 19): a source that cannot be read keeps its last good data and
says so, quarantined records make their source's check warn, and a source removed on purpose is dropped."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime

import dagster as dg
import duckdb

from assets.ingest import build_ingest
from assets.resources import build_resources
from assets.validate import build_validated
from pipeline.catalogue import load_catalogue
from pipeline.paths import PROJECT_ROOT
from tests.conftest import DATA_DIR, make_run_env

CARDS = sorted(p for p in (DATA_DIR / "model_cards").glob("*.md") if p.name != "README.md")[:3]


def _setup(tmp_path, catalogue_text: str | None = None):
    cards = tmp_path / "cards"
    cards.mkdir(exist_ok=True)
    for card in CARDS:
        (cards / card.name).write_bytes(card.read_bytes())
    (cards / "org__broken.md").write_text("---\nlicense:\t mit\n---\n")
    (tmp_path / "more").mkdir(exist_ok=True)
    (tmp_path / "more" / "other__model.md").write_text("---\nmodel_name: other/model\n---\n")
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text(
        catalogue_text
        or "sources:\n  - {name: my_cards, kind: hf_model_cards, path: cards}\n  - {name: more_cards, kind: hf_model_cards, path: more}\n"
    )
    return cards, catalogue


def _materialize(tmp_path, catalogue):
    sources = load_catalogue(catalogue)
    resources = build_resources(data_dir=DATA_DIR, out_dir=tmp_path / "out", state_dir=tmp_path / "state", sources_file=catalogue)
    result = dg.materialize([*build_ingest(sources), *build_validated(sources)[:3]], resources=resources)
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    return result, checks


def _query(tmp_path, sql, params=None):
    with duckdb.connect(str(tmp_path / "state" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _models(tmp_path, source):
    return {r[0] for r in _query(tmp_path, "select model_name from validated.models where source_name = ?", [source])}


def test_a_quarantined_record_makes_its_sources_check_warn_with_the_count_and_reason(tmp_path):
    _, catalogue = _setup(tmp_path)
    _, checks = _materialize(tmp_path, catalogue)
    mine = checks[("sources/my_cards", "source_read_cleanly")]
    assert not mine.passed and mine.severity == dg.AssetCheckSeverity.WARN
    assert mine.metadata["quarantined_records"].value == 1
    assert mine.description.startswith("1 record(s) quarantined, first: org__broken.md:")
    assert checks[("sources/more_cards", "source_read_cleanly")].passed


def test_a_vanished_path_keeps_the_archived_data_and_says_it_is_stale(tmp_path):
    cards, catalogue = _setup(tmp_path)
    _materialize(tmp_path, catalogue)
    before = _models(tmp_path, "my_cards")
    assert len(before) == 4

    shutil.rmtree(cards)
    _, checks = _materialize(tmp_path, catalogue)
    assert _models(tmp_path, "my_cards") == before  # nothing lost
    today = datetime.now(UTC).date().isoformat()
    check = checks[("sources/my_cards", "source_read_cleanly")]
    assert not check.passed and check.metadata["stale_since"].value == today
    assert f"archived snapshot of {today}" in check.description
    assert _query(tmp_path, "select stale_since from ops.source_loads where source_name = 'my_cards' order by loaded_at desc limit 1") == [
        (today,)
    ]
    # The stale copy is not archived again as if it were today's reading of the source.
    assert len(list((tmp_path / "state" / "archive" / "my_cards").iterdir())) == 1

    # The path comes back: fresh again.
    _setup(tmp_path)
    _, checks = _materialize(tmp_path, catalogue)
    assert _query(tmp_path, "select stale_since from ops.source_loads where source_name = 'my_cards' order by loaded_at desc limit 1") == [
        (None,)
    ]


def test_with_no_archive_the_previous_rows_and_rejects_stay(tmp_path):
    cards, catalogue = _setup(tmp_path)
    _materialize(tmp_path, catalogue)
    before = _models(tmp_path, "my_cards")
    shutil.rmtree(cards)
    shutil.rmtree(tmp_path / "state" / "archive")
    _, checks = _materialize(tmp_path, catalogue)
    assert _models(tmp_path, "my_cards") == before
    assert ("org__broken.md", "yaml") in set(
        _query(tmp_path, "select record_id, check_name from ops.quarantine where source_name = 'my_cards'")
    )
    assert "no archived snapshot" in checks[("sources/my_cards", "source_read_cleanly")].description


def test_a_source_removed_from_the_catalogue_is_dropped_and_counted(tmp_path):
    _, catalogue = _setup(tmp_path)
    _materialize(tmp_path, catalogue)
    assert _models(tmp_path, "more_cards") == {"other/model"}
    catalogue.write_text("sources:\n  - {name: my_cards, kind: hf_model_cards, path: cards}\n")
    result, _ = _materialize(tmp_path, catalogue)
    assert _models(tmp_path, "more_cards") == set()
    removed = result.asset_materializations_for_node("validated__models")[0].metadata["rows_of_retired_sources_removed"]
    assert removed.value == 1


def _run(tmp_path, catalogue, timeout: int = 600) -> subprocess.CompletedProcess:
    """`make run`'s command in a scratch Dagster home."""
    env = make_run_env(tmp_path, catalogue)
    return subprocess.run([sys.executable, "-m", "assets.run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _make_run(tmp_path, catalogue) -> str:
    """A run that succeeds: what a user sees on the terminal."""
    done = _run(tmp_path, catalogue)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_make_run_prints_a_short_summary_that_names_what_did_not_pass(tmp_path):
    cards, catalogue = _setup(tmp_path)
    shown = _make_run(tmp_path, catalogue)
    assert " - DEBUG - " not in shown and "SupersessionWarning" not in shown and "BetaWarning" not in shown
    assert len(shown.splitlines()) < 40
    assert re.search(r"^Run \w{8} success: \d+ assets materialised, \d+ checks, \d+ passed", shown, re.M)
    assert re.search(r"^  warn +sources/my_cards source_read_cleanly: 1 record\(s\) quarantined, first: org__broken\.md", shown, re.M)
    assert "Quarantined: 1 rows (my_cards 1)" in shown and "Stale sources: none" in shown
    assert f"report     {tmp_path / 'out' / 'report' / 'index.html'}" in shown

    shutil.rmtree(cards)
    shown = _make_run(tmp_path, catalogue)
    today = datetime.now(UTC).date().isoformat()
    assert f"Stale sources: my_cards (archived {today})" in shown
    assert "my_cards: nothing could be read from this source; using its archived snapshot" in shown  # the warning, as it happens
    assert "<strong>stale</strong>" in (tmp_path / "out" / "report" / "index.html").read_text()


def _what_if_run(job, instance, **config):
    return job.execute_in_process(
        instance=instance, raise_on_error=False, run_config={"ops": {"what_if_scenario": {"config": config}}} if config else None
    )


def _failure(result) -> str:
    return " ".join(str(e.event_specific_data.error) for e in result.all_events if e.event_type_value == "STEP_FAILURE")


def test_a_what_if_lasts_until_dropped_and_a_failed_one_changes_nothing_even_through_automation(tmp_path):
    from assets.definitions import build_definitions

    defs = build_definitions(data_dir=DATA_DIR, out_dir=tmp_path / "out", state_dir=tmp_path / "state")
    job = defs.resolve_job_def("refresh_everything")
    what_ifs = ["ref", "what_if_scenarios"], ["ref", "what_if_overrides"]
    only_what_if = job.get_subset(asset_selection={dg.AssetKey(k) for k in what_ifs})

    def published(sql):
        with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()

    # rounded: DuckDB sums doubles in whatever order its threads finish, which moves the last digit
    costs_sql = "select scenario, count(*), round(sum(tco2e), 3) from costs.model_costs group by 1 order by 1"
    with dg.instance_for_test() as instance:
        assert _what_if_run(job, instance, enabled=True, name="cheap_clean", mfu=0.5, grid_region="FR").success
        before = published(costs_sql)
        assert [r[0] for r in before] == ["cheap_clean", "default", "paper"]
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)

        # An invalid what-if fails with its reason; nothing is written, and the automation sensor sees nothing
        # changed (the reference tables the failed run re-read are the same data), so it starts no run.
        failed = _what_if_run(job, instance, enabled=True, name="cheap_clean", grid_region="atlantis")
        assert not failed.success and "unknown grid region 'atlantis'" in _failure(failed)
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert tick.total_requested == 0
        assert published(costs_sql) == before

        # An ordinary run keeps the what-if; a second one is added beside it.
        assert _what_if_run(job, instance).success
        assert published(costs_sql) == before
        assert _what_if_run(job, instance, enabled=True, name="dirty_grid", grid_region="IN").success
        assert [r[0] for r in published(costs_sql)] == ["cheap_clean", "default", "dirty_grid", "paper"]

        # A what-if may not take a preset's name, and dropping one that does not exist says which exist.
        for config, reason in [
            ({"enabled": True, "name": "paper", "pue": 1.5}, "'paper' is a preset's"),
            ({"enabled": True, "name": "x", "mfu": 1.5}, "mfu must be above 0 and at most 1"),
            ({"drop": ["nope"]}, "no what-if named 'nope' to drop (what-ifs: cheap_clean, dirty_grid)"),
        ]:
            result = only_what_if.execute_in_process(
                instance=instance, raise_on_error=False, run_config={"ops": {"what_if_scenario": {"config": config}}}
            )
            assert not result.success and reason in _failure(result)

        assert _what_if_run(job, instance, drop=["cheap_clean", "dirty_grid"]).success
        assert [r[0] for r in published(costs_sql)] == ["default", "paper"]


def test_a_step_that_raises_does_not_leave_the_working_database_open(tmp_path):
    import pytest

    db = build_resources(data_dir=DATA_DIR, out_dir=tmp_path / "out", state_dir=tmp_path / "state")["warehouse_db"]
    with pytest.raises(ValueError), db.get_connection() as con:
        con.execute("create table t as select 1 as x")
        raise ValueError("the step failed")
    # a second connection with other settings in the same process fails while the first is still open
    with duckdb.connect(db.database, read_only=True) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]


def test_make_run_reports_an_invalid_catalogue_in_one_message_before_any_work(tmp_path):
    _, catalogue = _setup(tmp_path, "sources:\n  - {name: my_cards, kind: hf_model_cards, repo_ids: ['bad id!']}\n")
    done = _run(tmp_path, catalogue, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"The sources catalogue is not valid, nothing was run: {catalogue}: source #1 (my_cards): `repo_ids` entry "
        "'bad id!' is not a Hub repo id: Repo id must use alphanumeric chars, '-', '_' or '.'. The name cannot start or "
        "end with '-' or '.' and the maximum length is 96: 'bad id!'."
    ]
    assert not (tmp_path / "out").exists()


def test_a_working_database_held_by_another_process_is_reported_in_seconds_not_minutes(tmp_path):
    import time

    import pytest

    db = build_resources(data_dir=DATA_DIR, out_dir=tmp_path / "out", state_dir=tmp_path / "state")["warehouse_db"]
    (tmp_path / "state").mkdir()  # the holder opens the file first, before the resource has made its folder
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(120)",
            db.database,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="Another process holds it") as refused, db.get_connection():
            pass
        # not a speed target: the stock resource retried for about 102 s before it said anything
        assert time.monotonic() - started < 60 and f"PID {holder.pid}" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()


def _runs_table(rows: int, header: str = "Model version,Best score (across scorers),Release date,Organization") -> bytes:
    return (header + "\n" + "".join(f"model-{i},0.{i % 10}5,2025-01-{1 + i % 28:02d},Org\n" for i in range(rows))).encode()


def test_content_that_suddenly_shrinks_keeps_its_archived_version_and_names_the_file(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "a.csv").write_bytes(_runs_table(30))
    (runs / "b.csv").write_bytes(_runs_table(5).replace(b"model-", b"other-"))
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text("sources:\n  - {name: runs, kind: epoch_benchmarks, benchmark: gpqa_diamond, path: runs}\n")
    _materialize(tmp_path, catalogue)
    scores = "select count(*) from validated.benchmark_results where source_name = 'runs'"
    assert _query(tmp_path, scores) == [(35,)]
    for shrunken in (_runs_table(0), _runs_table(30, "Name,Score,Date,Org"), _runs_table(12)):
        (runs / "a.csv").write_bytes(shrunken)
        (runs / "b.csv").write_bytes(_runs_table(4).replace(b"model-", b"other-"))  # a small change goes through
        _, checks = _materialize(tmp_path, catalogue)
        assert _query(tmp_path, scores) == [(34,)]
        check = checks[("sources/runs", "source_read_cleanly")]
        assert not check.passed and "a.csv: " in check.description and "archived version" in check.description
        assert check.metadata["stale_since"].value == datetime.now(UTC).date().isoformat()
    # told to accept it, the source takes the smaller file
    catalogue.write_text("sources:\n  - {name: runs, kind: epoch_benchmarks, benchmark: gpqa_diamond, path: runs, shrink_guard: false}\n")
    _materialize(tmp_path, catalogue)
    assert _query(tmp_path, scores) == [(16,)]


def test_a_file_that_cannot_be_read_keeps_its_archived_version(tmp_path, monkeypatch):
    import errno
    import os

    from pipeline.sources import files

    cards, catalogue = _setup(tmp_path)
    _materialize(tmp_path, catalogue)
    before = _models(tmp_path, "my_cards")
    real_read = files._read

    def failing_sector(item, max_bytes):
        if item.name == CARDS[0].name:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(item))
        return real_read(item, max_bytes)

    monkeypatch.setattr(files, "_read", failing_sector)
    _, checks = _materialize(tmp_path, catalogue)
    assert _models(tmp_path, "my_cards") == before
    description = checks[("sources/my_cards", "source_read_cleanly")].description
    assert f"{CARDS[0].name}: could not be read (Input/output error)" in description


def test_a_source_whose_step_fails_outside_its_data_leaves_the_rest_running_on_its_archived_data(tmp_path, monkeypatch):
    import errno
    import os

    from assets.definitions import build_definitions
    from assets.ingest import STALE_TAG
    from assets.run import summarise
    from pipeline import ingest

    cards, catalogue = _setup(tmp_path)
    defs = build_definitions(catalogue_file=catalogue, data_dir=DATA_DIR, out_dir=tmp_path / "out", state_dir=tmp_path / "state")
    job = defs.resolve_job_def("refresh_everything")
    with dg.instance_for_test() as instance:
        assert job.execute_in_process(instance=instance).success
        before = _models(tmp_path, "my_cards")
        (tmp_path / "more" / "another__model.md").write_text("---\nmodel_name: another/model\n---\n")
        real = ingest.read_source

        def full_disk(source, *args, **kwargs):  # the kind of fault no data explains
            if source.name == "my_cards":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(source, *args, **kwargs)

        monkeypatch.setattr(ingest, "read_source", full_disk)
        result = job.execute_in_process(instance=instance)
        assert result.success  # every step ran: the other source's new card is published
        with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
            published = {r[0] for r in con.execute("select model_id from core.models").fetchall()}
            stale = con.execute(
                "select source_name, stale_since from source_loads qualify row_number() over "
                "(partition by source_name order by loaded_at desc) = 1 and stale_since is not null"
            ).fetchall()
        assert "another/model" in published and before <= published
        today = datetime.now(UTC).date().isoformat()
        assert stale == [("my_cards", today)]
        assert "my_cards" in (tmp_path / "out" / "report" / "index.html").read_text()
        run = instance.get_run_by_id(result.run_id)
        assert run.tags[STALE_TAG] == "my_cards"
        from assets.resources import LedgerPaths

        lines = summarise(
            instance,
            result.run_id,
            LedgerPaths(
                data_dir=str(DATA_DIR), out_dir=str(tmp_path / "out"), state_dir=str(tmp_path / "state"), sources_file=str(catalogue)
            ),
        )
        assert "success with warnings (stale data: my_cards)" in lines[0]
        assert any("No space left on device" in line for line in lines)


def test_a_publish_that_fails_leaves_every_output_as_it_was(tmp_path, monkeypatch):
    import errno
    import hashlib
    import os

    from assets.definitions import build_definitions
    from pipeline import warehouse

    _, catalogue = _setup(tmp_path)
    out = tmp_path / "out"
    defs = build_definitions(catalogue_file=catalogue, data_dir=DATA_DIR, out_dir=out, state_dir=tmp_path / "state")
    job = defs.resolve_job_def("refresh_everything")

    def snapshot():
        return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()}

    with dg.instance_for_test() as instance:
        assert job.execute_in_process(instance=instance).success
        before = snapshot()
        assert {"tables/model_comparison.csv", "report/index.html", "charts/gpqa_vs_compute_chart.svg", "warehouse.duckdb"} <= set(before)
        (tmp_path / "more" / "another__model.md").write_text("---\nmodel_name: another/model\n---\n")
        real_publish = warehouse.publish

        def disk_full(*args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(warehouse, "publish", disk_full)
        failed = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not failed.success
        assert snapshot() == before  # not one table, chart or report page of the failed run got out

        monkeypatch.setattr(warehouse, "publish", real_publish)
        assert job.execute_in_process(instance=instance).success
        assert "another/model" in (out / "tables" / "model_comparison.csv").read_text()
        assert not [p for p in out.rglob(".ledger-tmp-*")]
