"""Runs whose process died (SIGKILL, the OOM killer, a crash in a native parser) are released.

Such a run still says STARTED in the Dagster home and keeps its `duckdb_writer` pool slot, so the next run's
first writing step waits for that slot forever. Dagster's run monitoring cannot see it: `make run` executes in
process and the default run launcher offers no worker health check. A run's event log records the process
that runs it ("Executing steps in process (pid: N)" or "Started process for run (pid: N)"); when no process of
that pid has lived since then, the run is marked failed and its slots freed. `make run` does this before it
starts, and a sensor does it every minute while `make ui` runs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES, NOT_FINISHED_STATUSES

# A process that started this long after the run recorded its pid is another one reusing the number.
PID_REUSE_SLACK_S = 2.0


def _process_start(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), None when there is none; on a system without /proc, the
    process's existence is all that is known (0.0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime"))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return 0.0


def _run_process(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """The pid of the process running `run_id` and when the run recorded it, from its engine events."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20).records
    for record in records:
        event = record.event_log_entry.dagster_event
        pid = event.engine_event_data.metadata.get("pid") if event and event.engine_event_data else None
        if pid is not None and str(pid.value).isdigit():
            return int(pid.value), record.event_log_entry.timestamp
    return None


def is_orphaned(instance: dg.DagsterInstance, run_id: str) -> bool:
    """True when the run's recorded process is gone, or the pid now belongs to a younger process."""
    process = _run_process(instance, run_id)
    if process is None:
        return False  # not started yet, or launched by something that records no pid: leave it to Dagster
    pid, recorded_at = process
    started = _process_start(pid)
    return started is None or started > recorded_at + PID_REUSE_SLACK_S


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark every unfinished run whose process is gone as failed and free the pool slots it holds, and those
    still held by finished runs. Returns the ids of the runs released."""
    released = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=NOT_FINISHED_STATUSES), limit=200):
        run = record.dagster_run
        if is_orphaned(instance, run.run_id):
            instance.report_run_failed(
                run,
                "Its process ended without finishing the run (killed, out of memory or "
                "crashed); released so the next run does not wait for its pool slot.",
            )
            released.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holding = storage.get_concurrency_run_ids()
        if holding:
            finished = instance.get_run_records(filters=dg.RunsFilter(run_ids=list(holding), statuses=FINISHED_STATUSES))
            for record in finished:
                storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
    return released


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Releases runs whose process died (killed, out of memory): marks them failed and frees their "
    "duckdb_writer pool slot, which would otherwise block every later run.",
)
def dead_run_reaper(context: dg.SensorEvaluationContext):
    released = release_dead_runs(context.instance)
    return dg.SkipReason(
        f"released {len(released)} dead run(s): {', '.join(r[:8] for r in released)}"
        if released
        else f"no dead run ({time.strftime('%H:%M:%S')})"
    )
