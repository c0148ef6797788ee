"""What a user waits for in Dagster, in a scratch DAGSTER_HOME and scratch output folders:

- `make run`'s command (`python -m assets.run`) on the embedded default, wall clock:
  the first run in a new home and state folder, then a second one as a user's next `make run`;
- the same, warm, on the paper's cards and tables alone (the default before the real-data snapshots): what
  breadth costs, as a ratio measured in the same run;
- the same command on the no-op twin of the graph (bench/noop_twin.py): Dagster's own share;
- loading the code location (`import assets.definitions`);
- a scheduled run with unchanged sources: the leaderboard and card jobs, then one evaluation of the
  automation conditions, which should request nothing.

    python -m bench.dagster_runs     # prints one JSON object
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.paths import PROJECT_ROOT

# Dagster's command line run as a module, against the `dagster` script: see `cards_step` for why it matters.
DAGSTER = [sys.executable, "-m", "dagster"]
DAGSTER_SCRIPT = [str(Path(sys.executable).with_name("dagster"))]


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def _scratch_env(root: Path) -> dict[str, str]:
    home = root / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(PROJECT_ROOT),
        "LEDGER_OUT_DIR": str(root / "out"),
        "LEDGER_STATE_DIR": str(root / "state"),
    }


PAPER_ONLY_SOURCES = ("embedded_model_cards", "paper_table1", "paper_table2")


def paper_only_catalogue(path: Path) -> Path:
    """The default catalogue cut to the paper's cards and tables, its paths made absolute."""
    import yaml

    doc = yaml.safe_load((PROJECT_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    kept = [dict(s, path=str((PROJECT_ROOT / s["path"]).resolve())) for s in doc["sources"] if s["name"] in PAPER_ONLY_SOURCES]
    path.write_text(yaml.safe_dump({"sources": kept}, sort_keys=False), encoding="utf-8")
    return path


def unchanged_refresh() -> dict:
    """Run inside the scratch home after a full run: the schedule's and the sensor's jobs, then the automation tick."""
    import dagster as dg

    from assets.definitions import build_definitions

    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    start = time.perf_counter()
    for job in ("leaderboard_refresh", "model_card_refresh"):
        assert defs.resolve_job_def(job).execute_in_process(instance=instance).success
    jobs_s = time.perf_counter() - start
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
    return {"no_change_s": time.perf_counter() - start, "no_change_jobs_s": jobs_s, "no_change_requested": tick.total_requested}


def measure() -> dict:
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = _scratch_env(Path(tmp) / "real")
        materialize = [sys.executable, "-m", "assets.run"]  # what `make run` runs
        result["make_run_first_s"] = _timed(materialize, env)
        result["make_run_s"] = _timed(materialize, env)
        probe = subprocess.run(
            [sys.executable, "-m", "bench.dagster_runs", "--unchanged"],
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        result.update(json.loads(probe.stdout.strip().splitlines()[-1]))
        paper_env = _scratch_env(Path(tmp) / "paper_only")
        paper_env["LEDGER_SOURCES"] = str(paper_only_catalogue(Path(tmp) / "paper_only" / "sources.yaml"))
        _timed(materialize, paper_env)  # first run: a new home and state folder, as above
        result["make_run_paper_only_s"] = _timed(materialize, paper_env)
        noop_env = _scratch_env(Path(tmp) / "noop")
        result["noop_twin_s"] = _timed([sys.executable, "-m", "assets.run", "--module", "bench.noop_twin"], noop_env)
        result["load_definitions_s"] = _timed([sys.executable, "-c", "import assets.definitions"], noop_env)
    # The twin's state folder is new, like the first run's; it is compared with the second run, the one a user
    # waits for every time after the first (both find the chart pages' Vega bundle that installing prepared).
    result["pipeline_work_s"] = result["make_run_s"] - result["noop_twin_s"]
    result["breadth_ratio"] = result["make_run_s"] / result["make_run_paper_only_s"]
    return result


def cards_step(folder: Path, launcher: list[str]) -> dict:
    """The step of a card source over `folder` (read, parse on both cores, write the raw tables), run by
    `launcher` in a scratch home: its seconds and the models it wrote. A spawned worker first re-imports the
    parent's main module: the `dagster` script's is Dagster's command line, `python -m dagster`'s is skipped
    by multiprocessing."""
    import dagster as dg

    from pipeline import warehouse

    with tempfile.TemporaryDirectory() as tmp:
        catalogue = Path(tmp) / "sources.yaml"
        catalogue.write_text(f"sources:\n  - name: cards\n    kind: hf_model_cards\n    path: {folder}\n")
        env = {**_scratch_env(Path(tmp)), "LEDGER_SOURCES": str(catalogue)}
        subprocess.run(
            [*launcher, "asset", "materialize", "-m", "assets.definitions", "--select", "sources/cards"],
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
        )
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            (run,) = instance.get_run_records()
            (step,) = instance.all_logs(run.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
        with warehouse.connect(Path(tmp) / "state" / "warehouse.duckdb", read_only=True) as con:
            models = con.execute("select count(*) from raw.models where source_name = 'cards'").fetchall()[0][0]
    return {"seconds": step.dagster_event.event_specific_data.duration_ms / 1000, "models": models}


if __name__ == "__main__":
    print(json.dumps(unchanged_refresh() if "--unchanged" in sys.argv else measure()))
