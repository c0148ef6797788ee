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
from tests.conftest import DATA_DIR

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
            "quarantine": con.execute("select source_name, record_id, reason from quarantine order by all").fetchall()}


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
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published), str(stop)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    try:
        assert run_in_process(tmp_path).success
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert int(out.strip()) > 10  # it kept reading throughout


def _run_and_kill_at(tmp_path: Path, step: str) -> bool:
    """Run the pipeline in a subprocess and SIGKILL it as soon as `step` starts. True if killed there."""
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = os.environ | {"DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT), "LEDGER_DATA_DIR": str(DATA_DIR),
                        "LEDGER_OUT_DIR": str(tmp_path / "out"), "LEDGER_STATE_DIR": str(tmp_path / "state")}
    # What `make run` runs, with Dagster's step events printed so the watcher can see each step start.
    process = subprocess.Popen([sys.executable, "-m", "assets.run", "--verbose"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    killed = threading.Event()

    def watch():
        for line in process.stdout:
            if f"{step} - STEP_START" in line and not killed.is_set():
                os.killpg(process.pid, signal.SIGKILL)
                killed.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    process.wait(timeout=300)
    watcher.join(timeout=10)
    return killed.is_set()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One good run whose out/ and state folders each crash test starts from."""
    root = tmp_path_factory.mktemp("baseline")
    assert run_in_process(root).success
    return root


@pytest.mark.parametrize("step", ["sources__embedded_model_cards", "costs__model_costs", "outputs__report",
                                  "publish__published_warehouse"])
def test_a_run_killed_anywhere_leaves_the_published_file_intact_and_the_next_run_succeeds(tmp_path, baseline, step):
    for folder in ("out", "state"):
        shutil.copytree(baseline / folder, tmp_path / folder)
    published = tmp_path / "out" / "warehouse.duckdb"
    before = sha(published)
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute("select count(*) from model_comparison").fetchall()[0][0]
    assert _run_and_kill_at(tmp_path, step), f"the run never reached {step}"
    assert sha(published) == before  # unchanged, byte for byte
    with duckdb.connect(str(published), read_only=True) as con:  # and readable, with every row
        assert con.execute("select count(*) from model_comparison").fetchall()[0][0] == rows > 0
    assert run_in_process(tmp_path).success  # no manual clean-up
    assert not list((tmp_path / "out").rglob(".ledger-tmp-*"))


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
