"""`make run`: materialise every asset in the project's Dagster home and say, in a few lines, what happened.

    python -m assets.run [--module assets.definitions] [--verbose]

The run is recorded in the Dagster home like any other (the UI's Runs page shows it with its full event
log). Dagster's own per-step DEBUG lines stay in that log instead of on the terminal; warnings and errors
are still printed as they happen. The closing summary names the assets materialised, every check that did
not pass and why, the rows quarantined per source and the sources read from an archived snapshot.

Runs of earlier processes that died (SIGKILL, out of memory) are released first, so their pool slot does not
block this one (assets/housekeeping.py). The job runs on a worker thread: Dagster defers Ctrl-C and SIGTERM
while a step waits for a pool slot, so the main thread takes them, marks the run canceled, frees its slots
and exits; what a killed step left half-written is the same as after a SIGKILL, which the pipeline survives.

Dagster is imported inside `main`: the card parser's worker processes import this module again when they
start (multiprocessing's spawn), and they need none of it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import time
from typing import NoReturn

JOB = "refresh_everything"
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def summarise(instance, run_id: str, paths) -> list[str]:
    """The closing lines for one finished run: what ran, what did not pass, what was set aside."""
    import dagster as dg

    from pipeline import warehouse

    run = instance.get_run_by_id(run_id)
    events = [r.dagster_event for r in instance.all_logs(run_id) if r.dagster_event is not None]
    materialised = {e.asset_key for e in events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION}
    checks = [e.event_specific_data for e in events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    failed_steps = [e for e in events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    not_passed = [c for c in checks if not c.passed]
    from assets.ingest import STALE_TAG

    stale_sources = run.tags.get(STALE_TAG)
    lines = [
        f"Run {run_id[:8]} {run.status.value.lower()}"
        + (f" with warnings (stale data: {stale_sources})" if stale_sources else "")
        + f": {len(materialised)} assets materialised, {len(checks)} checks, {len(checks) - len(not_passed)} passed."
    ]
    for e in failed_steps:
        error = e.event_specific_data.error
        lines.append(f"  FAILED  {e.step_key}: {error.message.strip().splitlines()[0] if error else 'see the run log'}")
    for c in sorted(not_passed, key=lambda c: (c.asset_key.to_user_string(), c.check_name)):
        level = "error" if c.severity == dg.AssetCheckSeverity.ERROR else "warn"
        why = c.description or next((f"{k}: {v.value}" for k, v in c.metadata.items()), "")
        lines.append(f"  {level:<5}   {c.asset_key.to_user_string()} {c.check_name}: {_short(why)}")
    database = paths.working_db
    if database.exists():
        with warehouse.connect(database, read_only=True) as con:
            if warehouse.table_exists(con, "ops", "quarantine"):
                # A validation reject is filed under its raw table; its record (JSON) names the source it came from.
                counts = con.execute("""
                    select coalesce(try(json_extract_string(raw_content, '$.source_name')), source_name), count(*)
                    from ops.quarantine group by 1 order by 1""").fetchall()
                total = sum(n for _, n in counts)
                lines.append(
                    f"Quarantined: {total} rows"
                    + (" (" + ", ".join(f"{s} {n}" for s, n in counts) + ")" if counts else "")
                    + (" — select * from quarantine" if total else "")
                )
            has_stale = con.execute(
                "select count(*) from duckdb_columns() where schema_name = 'ops' and "
                "table_name = 'source_loads' and column_name = 'stale_since'"
            ).fetchall()[0][0]
            stale = (
                con.execute("""
                select source_name, stale_since from ops.source_loads
                qualify row_number() over (partition by source_name order by loaded_at desc) = 1
                order by 1""").fetchall()
                if has_stale
                else []
            )
            stale = [(s, d) for s, d in stale if d]
            lines.append("Stale sources: " + (", ".join(f"{s} (archived {d})" for s, d in stale) if stale else "none"))
    return lines


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def outputs(paths) -> list[str]:
    out = paths.out
    return [
        "",
        "Distill Ledger outputs:",
        f"  warehouse  {out / 'warehouse.duckdb'}   (select * from model_comparison where scenario='paper')",
        f"  tables     {out / 'tables'}/",
        f"  charts     {out / 'charts'}/",
        f"  report     {out / 'report' / 'index.html'}",
    ]


def stop(instance, run_id: str) -> NoReturn:
    """Ctrl-C or SIGTERM: the run is marked canceled and its pool slots freed before the process exits."""
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_canceled(run, "Stopped from the terminal (Ctrl-C or SIGTERM).")
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    print(f"\nStopped run {run_id[:8]}: marked canceled, nothing new published.", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(130)  # the worker thread may be inside a native call; nothing waits for it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assets.run", description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="assets.definitions", help="module whose `defs` to run")
    parser.add_argument("--verbose", action="store_true", help="print Dagster's DEBUG lines as well")
    args = parser.parse_args(argv)

    import dagster as dg

    from pipeline.catalogue import CatalogueError

    try:
        defs = importlib.import_module(args.module).defs
        defs = defs() if callable(defs) else defs  # a lazy `@dg.definitions` entry point
    except CatalogueError as exc:  # before any work: the run cannot know what to read
        print(f"The sources catalogue is not valid, nothing was run: {exc}", file=sys.stderr)
        return 2
    job = defs.resolve_job_def(JOB) if JOB in {j.name for j in defs.jobs or []} else defs.resolve_implicit_global_asset_job_def()
    paths = defs.resources["ledger"] if "ledger" in (defs.resources or {}) else None
    from dagster._core.utils import make_new_run_id

    from assets.housekeeping import release_dead_runs

    start = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        for run_id in release_dead_runs(instance):
            print(f"Released run {run_id[:8]}: its process had died without finishing it.", file=sys.stderr)
        run_id, outcome = make_new_run_id(), {}

        def execute() -> None:
            try:
                outcome["result"] = job.execute_in_process(
                    instance=instance, raise_on_error=False, run_id=run_id, run_config={} if args.verbose else QUIET_LOGGERS
                )
            except BaseException as exc:  # reported by the main thread
                outcome["error"] = exc

        worker = threading.Thread(target=execute, name="refresh_everything", daemon=True)
        # Both stop the run at once. SIGINT is set too: a process started in the background by a shell inherits it
        # ignored, and Python keeps an inherited "ignore", so Ctrl-C (or kill -INT) would otherwise do nothing.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            worker.start()
            while worker.is_alive():
                worker.join(0.5)
        except KeyboardInterrupt:
            stop(instance, run_id)  # exits the process
        if "error" in outcome:
            raise outcome["error"]
        result = outcome["result"]
        lines = summarise(instance, result.run_id, paths) if paths else [f"Run {result.run_id[:8]}: success={result.success}"]
    lines[0] += f" ({time.perf_counter() - start:.1f} s)"
    print("\n".join(["", *lines, *(outputs(paths) if paths and result.success else [])]))
    if not result.success:
        print("\nThe run failed: nothing new was published. Its full log: make ui, then Runs.", file=sys.stderr)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
