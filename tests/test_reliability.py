"""Safe publishing and crash safety: identical marts on re-runs, readers never blocked, SIGKILL survived,
a failing blocking check stops publishing."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.paths import PROJECT_ROOT
from tests.conftest import DATA_DIR, make_run_env

pytestmark = pytest.mark.timeout(600)
MARTS = ("model_comparison", "hardware_comparison", "distillation_pairs")


def build(tmp_path):
    from assets.definitions import build_definitions

    return build_definitions(data_dir=DATA_DIR, out_dir=tmp_path / "out", state_dir=tmp_path / "state")


def run_in_process(tmp_path, defs=None):
    defs = defs or build(tmp_path)
    with dg.instance_for_test() as instance:
        return defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)


def marts(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        return {m: con.execute(f"select * from {m} order by all").fetchall() for m in MARTS} | {
            "raw_rows": con.execute("select count(*) from raw.models").fetchall(),
            "quarantine": con.execute("select source_name, record_id, reason from quarantine order by all").fetchall(),
        }


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_runs_in_a_row_give_identical_marts(tmp_path):
    assert run_in_process(tmp_path).success
    first = marts(tmp_path / "out" / "warehouse.duckdb")
    assert run_in_process(tmp_path).success
    assert marts(tmp_path / "out" / "warehouse.duckdb") == first


READER = """
import sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
con = duckdb.connect(path, read_only=True)  # held open for the whole run, as a person in the CLI would
count = 0
import os
while not os.path.exists(stop):
    rows = con.execute("select count(*) from model_comparison where scenario = 'paper'").fetchall()[0][0]
    assert rows == 16, rows
    fresh = duckdb.connect(path, read_only=True)  # and someone opening it afresh meanwhile
    assert fresh.execute("select count(*) from hardware_comparison").fetchall()[0][0] == 48
    fresh.close()
    count += 1
    time.sleep(0.05)
print(count)
"""


def test_a_reader_holding_the_published_file_never_blocks_or_sees_half_a_state(tmp_path):
    assert run_in_process(tmp_path).success
    published, stop = tmp_path / "out" / "warehouse.duckdb", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(1.0)
    try:
        assert run_in_process(tmp_path).success
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert int(out.strip()) > 10  # it kept reading throughout


def _run_and_signal_at(tmp_path: Path, step: str, signum: int = signal.SIGKILL) -> subprocess.Popen:
    """Run `make run`'s command and send `signum` as soon as `step` starts; the process once it has exited, with
    `signalled` (whether it reached the step) and `shown` (the lines it printed)."""
    # With Dagster's step events printed, so the watcher can see each step start.
    # Started with SIGINT ignored, as a shell starts a background job: the run must stop on it all the same.
    process = subprocess.Popen(
        [sys.executable, "-m", "assets.run", "--verbose"],
        cwd=PROJECT_ROOT,
        env=make_run_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    sent, process.shown = threading.Event(), []

    def watch():
        for line in process.stdout:
            process.shown.append(line)
            if f"{step} - STEP_START" in line and not sent.is_set():
                # SIGKILL the whole group (card parser workers too); a stop request goes to the run's process only
                os.killpg(process.pid, signum) if signum == signal.SIGKILL else process.send_signal(signum)
                sent.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    process.wait(timeout=300)
    watcher.join(timeout=10)
    process.signalled = sent.is_set()
    return process


def _next_make_run(tmp_path: Path) -> subprocess.CompletedProcess:
    """The next `make run` on the same Dagster home: it must finish, not wait for a dead run's pool slot."""
    return subprocess.run(
        [sys.executable, "-m", "assets.run"], cwd=PROJECT_ROOT, env=make_run_env(tmp_path), capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One good run whose out/ and state folders each crash test starts from."""
    root = tmp_path_factory.mktemp("baseline")
    assert run_in_process(root).success
    return root


@pytest.mark.parametrize("step", ["sources__embedded_model_cards", "costs__model_costs", "outputs__report", "publish__published_warehouse"])
def test_a_run_killed_anywhere_leaves_the_published_file_intact_and_the_next_run_succeeds(tmp_path, baseline, step):
    for folder in ("out", "state"):
        shutil.copytree(baseline / folder, tmp_path / folder)
    published = tmp_path / "out" / "warehouse.duckdb"
    before = sha(published)
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute("select count(*) from model_comparison").fetchall()[0][0]
    killed = _run_and_signal_at(tmp_path, step)
    assert killed.signalled, f"the run never reached {step}: " + "".join(line for line in killed.shown if " - DEBUG - " not in line)[-4000:]
    assert sha(published) == before  # unchanged, byte for byte
    with duckdb.connect(str(published), read_only=True) as con:  # and readable, with every row
        assert con.execute("select count(*) from model_comparison").fetchall()[0][0] == rows > 0
    # The next run, on the same Dagster home, releases the dead run's pool slot and succeeds: no manual clean-up.
    after = _next_make_run(tmp_path)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "Released run" in after.stderr and "its process had died" in after.stderr
    assert not list((tmp_path / "out").rglob(".ledger-tmp-*"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_a_run_at_once_and_the_next_run_succeeds(tmp_path, baseline, signum):
    for folder in ("out", "state"):
        shutil.copytree(baseline / folder, tmp_path / folder)
    stopped = _run_and_signal_at(tmp_path, "costs__model_costs", signum)
    assert stopped.signalled and stopped.returncode == 130, "".join(stopped.shown)[-4000:]
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        runs = instance.get_run_records()
        assert [r.dagster_run.status for r in runs] == [dg.DagsterRunStatus.CANCELED]
        assert not instance.event_log_storage.get_concurrency_run_ids()  # its pool slot freed
    after = _next_make_run(tmp_path)
    assert after.returncode == 0, after.stdout + after.stderr


def test_a_failing_blocking_check_stops_publishing(tmp_path):
    assert run_in_process(tmp_path).success
    published = tmp_path / "out" / "warehouse.duckdb"
    before = sha(published)

    @dg.asset_check(asset=dg.AssetKey(["marts", "model_comparison"]), blocking=True, name="always_fails")
    def always_fails() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="a bad mart")

    defs = build(tmp_path)
    defs = dg.Definitions.merge(defs, dg.Definitions(asset_checks=[always_fails]))
    result = run_in_process(tmp_path, defs)
    assert not result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey(["marts", "model_comparison"]) in materialized
    assert dg.AssetKey(["publish", "published_warehouse"]) not in materialized
    assert sha(published) == before


def test_a_session_that_wrote_into_the_published_file_does_not_break_the_next_publish(tmp_path):
    # A user opened out/warehouse.duckdb read-write and wrote: its WAL sits beside the file. The next publish
    # must leave a copy every new reader can open (it once failed them with "WAL does not match").
    from pipeline import warehouse

    assert run_in_process(tmp_path).success
    published = tmp_path / "out" / "warehouse.duckdb"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "con.execute('create table mine as select 1 as x'); print('ready', flush=True); time.sleep(120)",
            str(published),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        assert Path(f"{published}.wal").exists()
        warehouse.publish(tmp_path / "state" / "warehouse.duckdb", published)
        reader = subprocess.run(
            [
                sys.executable,
                "-c",
                "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
                "print(con.execute('select count(*) from model_comparison').fetchone()[0])",
                str(published),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert reader.returncode == 0 and int(reader.stdout) > 0, reader.stderr
    finally:
        writer.kill()
        writer.wait()
