"""One benchmark stage per process (so peak RSS is the stage's own): `python -m bench.stages <stage> <n> [folder]`
prints {"seconds": ..., "rss_mib": ...} as JSON."""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from bench.generate import cost_rows, fact_rows
from pipeline import formulas

WARM_UP_ROWS = 1_000
TIMED_RUNS = 5  # timed runs of a vectorised cost contender in one process (median kept)


def _cost_polars(frame: pl.DataFrame) -> pl.DataFrame:
    # A lazy plan, as costmodel.model_costs builds: the shared sub-expressions are computed once.
    flops = formulas.pretraining_flops(pl.col("params"), pl.col("tokens"))
    hours = formulas.gpu_hours(flops, pl.col("peak_flops_per_s"), pl.col("mfu"))
    energy = formulas.energy_mwh(hours, pl.col("tdp_w"), pl.col("pue"))
    return (
        frame.lazy()
        .with_columns(training_flops=flops, gpu_hours=hours, energy_mwh=energy, tco2e=formulas.emissions_tco2e(energy, pl.col("grid")))
        .collect()
    )


def _cost_pandas_vector(df):
    df = df.copy()
    df["training_flops"] = 6 * df["params"] * df["tokens"]
    df["gpu_hours"] = df["training_flops"] / (df["peak_flops_per_s"] * df["mfu"] * 3600)
    df["energy_mwh"] = df["gpu_hours"] * df["tdp_w"] / 1e6 * df["pue"]
    df["tco2e"] = df["energy_mwh"] * df["grid"]
    return df


def _cost_pandas_rows(df):
    def row(r):
        flops = 6 * r["params"] * r["tokens"]
        hours = flops / (r["peak_flops_per_s"] * r["mfu"] * 3600)
        energy = hours * r["tdp_w"] / 1e6 * r["pue"]
        return flops, hours, energy, energy * r["grid"]

    return df.apply(row, axis=1)


COST_SQL = """
    select *, 6 * params * tokens as training_flops,
           6 * params * tokens / (peak_flops_per_s * mfu * 3600) as gpu_hours,
           6 * params * tokens / (peak_flops_per_s * mfu * 3600) * tdp_w / 1e6 * pue as energy_mwh,
           6 * params * tokens / (peak_flops_per_s * mfu * 3600) * tdp_w / 1e6 * pue * grid as tco2e
    from rows
"""


# stage -> DuckDB's memory limit for the working database (None: DuckDB's default, as `make run` has it)
PIPELINE_STAGES = {"pipeline": None, "pipeline_duckdb_500mb": "500MB"}
# stage -> (loader, worker processes); None = every core, as the pipeline does; 0 = the parse alone, in this process
CARD_STAGES = {
    "parse_fast": ("fast", None),
    "parse_fast_one_worker": ("fast", 1),
    "parse_fast_in_process": ("fast", 0),
    "parse_hub": ("hub", 0),
}
# stage -> how Dagster is started: the card source's whole step (read, parse, write) in a Dagster run
DAGSTER_CARD_STAGES = {"cards_step_python_m_dagster": "module", "cards_step_dagster_script": "script"}


def run(stage: str, n: int, folder: str | None) -> dict:
    timings: dict[str, float] = {}
    if stage in CARD_STAGES:
        from pipeline.sources.files import files_under
        from pipeline.sources.model_cards import available_cores, read_card_files
        from pipeline.sources.records import Batch

        loader, workers = CARD_STAGES[stage]
        files = files_under(Path(folder), ("*.md",))[:n]
        start = time.perf_counter()
        batch = Batch("bench")
        read_card_files(files, batch, loader=loader, workers=workers)
        batch.frames()
        timings["seconds"] = time.perf_counter() - start
        timings["models"] = len(batch.models)
        timings["processes"] = available_cores() if workers is None else max(workers, 1)
    elif stage in DAGSTER_CARD_STAGES:
        from bench import dagster_runs

        with tempfile.TemporaryDirectory() as tmp:
            cards = Path(tmp) / "cards"  # the first n cards (hard links: the source does not follow symbolic ones)
            cards.mkdir()
            for path in sorted(Path(folder).glob("*.md"))[:n]:
                os.link(path, cards / path.name)
            launcher = dagster_runs.DAGSTER if DAGSTER_CARD_STAGES[stage] == "module" else dagster_runs.DAGSTER_SCRIPT
            timings.update(dagster_runs.cards_step(cards, launcher))
    elif stage.startswith("cost_"):
        frame = cost_rows(n)
        if stage == "cost_polars":
            compute, data = _cost_polars, frame
        elif stage == "cost_duckdb":
            import duckdb

            con = duckdb.connect()
            con.register("rows", frame.to_arrow())
            con.register("warm_up_rows", frame.head(WARM_UP_ROWS).to_arrow())
            # to_arrow_table(): DuckDB 2's .arrow() returns a lazy reader, which would time nothing
            compute, data = (lambda table: con.sql(COST_SQL.replace("from rows", f"from {table}")).to_arrow_table()), "rows"
        else:
            compute, data = (_cost_pandas_vector if stage == "cost_pandas_vector" else _cost_pandas_rows), frame.to_pandas()
        # Every contender first runs once on a few rows, untimed, so no one's timing includes starting its
        # thread pool or first-call set-up; then the timed run on all the rows.
        compute("warm_up_rows" if isinstance(data, str) else data[:WARM_UP_ROWS])
        # The vectorised contenders take milliseconds, where one timing is mostly the machine's noise: each is
        # timed TIMED_RUNS times here and the median kept. Row by row takes seconds (11 s at 1e6): once.
        seconds = []
        for _ in range(1 if stage == "cost_pandas_rows" else TIMED_RUNS):
            start = time.perf_counter()
            out = compute(data)
            seconds.append(time.perf_counter() - start)
        timings["seconds"] = statistics.median(seconds)
        timings["rows_out"] = len(out)  # proof the rows were computed, not just planned
    elif stage in PIPELINE_STAGES:
        if PIPELINE_STAGES[stage]:
            os.environ["LEDGER_DUCKDB_MEMORY_LIMIT"] = PIPELINE_STAGES[stage]
        timings.update(_pipeline(n))
    elif stage == "charts":
        timings.update(_charts(n))
    elif stage in HUB_STAGES:
        timings.update(_hub(n))
    elif stage == "dagster":
        from bench import dagster_runs

        timings.update(dagster_runs.measure())
        timings["seconds"] = timings["make_run_s"]
    timings["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return timings


HUB_STAGES = {"hub_listing"}


def _children_peak_rss_mib(exclude: set[int]) -> float:
    """The largest peak RSS (VmHWM) among this process's live children (the parse workers), read from /proc:
    getrusage counts only children that have exited and been waited for."""
    peak = 0.0
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            if int(pid) in exclude:
                continue
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), None)
            if line:
                peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def _hub(n: int) -> dict:
    """The Hub listing source at `n` models: a loopback server (its own process) serves a generated listing in
    the real shape; timed, the crawl that lands every page, then the parse of what landed on every core.
    Peak RSS is the larger of this process's and any parse worker's."""
    import subprocess
    import sys

    from pipeline.catalogue import Source
    from pipeline.fetch import SnapshotStore
    from pipeline.ingest import hub_root, read_hub_listing
    from pipeline.sources.hub_listing import HubQuery, crawl

    server = subprocess.Popen([sys.executable, "-m", "bench.hub_server", str(n)], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            os.environ.pop("HF_TOKEN", None)
            os.environ |= {"HF_ENDPOINT": url, "LEDGER_ALLOW_LOOPBACK_HTTP": "1"}
            start = time.perf_counter()
            report = crawl("bench", HubQuery(), hub_root(SnapshotStore(root / "snapshots")), headers={})
            listed = time.perf_counter() - start
            assert report.finished and report.models == n, report.error
            store = SnapshotStore(root / "snapshots")
            start = time.perf_counter()  # the source's whole read: the crawl (nothing new now), compaction, parse
            result = read_hub_listing(Source("bench", "hf_hub"), store)
            models = result.frames["models"].height
            parsed = time.perf_counter() - start
            workers = _children_peak_rss_mib(exclude={server.pid})
    finally:
        server.kill()
    return {
        "seconds": listed + parsed,
        "listed_s": listed,
        "listed_per_s": n / listed,
        "parsed_s": parsed,
        "parsed_per_s": models / parsed,
        "models": models,
        "pages": report.pages,
        "parse_worker_rss_mib": workers,
    }


PIPELINE_SELECTION = [
    ["validated", "model_facts"],
    *[
        ["costs", name]
        for name in (
            "scenario_accelerators",
            "fact_choices",
            "flops_candidates",
            "model_flops",
            "lineage",
            "model_costs",
            "reconciliation",
            "workload_costs",
        )
    ],
    ["marts", "model_comparison"],
]


def pipeline_warehouse(n: int, root: Path):
    """Set-up of the pipeline stage, not timed: the graph upstream of the mart on the embedded default
    (reference tables, scenarios, staging views) into a scratch state folder under `root`, then `n` generated
    facts as the card source's raw rows. Returns the asset job, the timed selection and the database file."""
    import dagster as dg

    from assets.definitions import build_definitions
    from pipeline import warehouse
    from pipeline.catalogue import catalogue_path, load_catalogue

    facts, _ = fact_rows(n)
    card_source = next(s.name for s in load_catalogue(catalogue_path()) if s.kind == "hf_model_cards")
    defs = build_definitions(out_dir=root / "out", state_dir=root / "state")
    job = defs.resolve_implicit_global_asset_job_def()
    keys = [dg.AssetKey(k) for k in PIPELINE_SELECTION]
    upstream = dg.AssetSelection.assets(*keys).upstream().required_multi_asset_neighbors().resolve(defs.resolve_asset_graph())
    assert job.execute_in_process(asset_selection=list(upstream)).success
    database = root / "state" / "warehouse.duckdb"
    with warehouse.connect(database) as con:
        warehouse.write_table(con, "raw", "model_facts", facts.with_columns(source_name=pl.lit(card_source)))
    return job, keys, database


def seed_core(n: int, database: Path) -> None:
    """Entity resolution is not part of the stage: `core.facts`, `core.model_profiles` and `core.models` are set
    to the validated facts and the generated models directly."""
    from pipeline import warehouse

    _, profiles = fact_rows(n)
    with warehouse.connect(database) as con:
        warehouse.run(con, "drop view if exists core.facts")
        warehouse.run(
            con,
            """create or replace table core.facts as
            select model_name as model_id, quantity, value, unit, kind, source, url, accelerator as accelerator_id, basis,
                   scope, note, as_of, confidence, source_name, source_name || ':' || record_id as origin, 'fact' as origin_kind,
                   row_number() over () as tie_order
            from validated.model_facts""",
        )
        warehouse.run(con, "drop view if exists core.model_profiles")
        warehouse.write_table(
            con,
            "core",
            "model_profiles",
            profiles.select(
                "model_id",
                pl.col("model_id").alias("model"),
                pl.lit(None, pl.Utf8).alias("organization"),
                "model_type",
                pl.lit("bench").alias("model_type_basis"),
                "method",
                "base_model",
                pl.lit(None, pl.Utf8).alias("base_model_id"),
                "teacher",
                pl.lit(None, pl.Utf8).alias("teacher_id"),
                pl.lit(None, pl.Utf8).alias("license"),
                pl.lit(False).alias("distilled"),
                pl.lit(None, pl.Utf8).alias("distilled_basis"),
                pl.lit("bench").alias("sources"),
                pl.lit(None, pl.Utf8).alias("as_of"),
            ),
        )
        warehouse.run(con, "delete from core.models")  # the mart's row-count check compares with it
        warehouse.run(con, "insert into core.models (model_id) select model_id from core.model_profiles")


def _pipeline(n: int) -> dict:
    """The pipeline's own assets on `n` fact rows, run by Dagster in one process against a scratch DuckDB file:
    `validated/model_facts` (pandera, then the table and the quarantine written), every cost asset and the
    `model_comparison` mart with the checks that run in their steps. Each step reads its inputs from DuckDB,
    computes with polars and writes its tables, as in `make run`."""
    from pipeline import warehouse

    with tempfile.TemporaryDirectory() as tmp:
        job, keys, database = pipeline_warehouse(n, Path(tmp))
        start = time.perf_counter()
        validated = job.execute_in_process(asset_selection=keys[:1])
        validate_s = time.perf_counter() - start
        seed_core(n, database)
        start = time.perf_counter()
        costed = job.execute_in_process(asset_selection=keys[1:])
        cost_and_marts_s = time.perf_counter() - start
        steps = {
            e.step_key: e.event_specific_data.duration_ms / 1000
            for result in (validated, costed)
            for e in result.all_events
            if e.event_type_value == "STEP_SUCCESS"
        }
        with warehouse.connect(database, read_only=True) as con:
            rows = {
                t: warehouse.row_count(con, *t.split("."))
                for t in ("validated.model_facts", "costs.fact_choices", "costs.model_costs", "marts.model_comparison")
            }
        floor = storage_floor(database, [key.path for key in keys])
    marts = steps.pop("marts__model_comparison")
    return {
        "seconds": validate_s + cost_and_marts_s,
        "validate": validate_s,
        "cost": cost_and_marts_s - marts,
        "marts": marts,
        **{f"step_{key.removeprefix('costs__')}": round(value, 3) for key, value in steps.items()},
        **{f"rows_{table.split('.')[1]}": count for table, count in rows.items()},
        **floor,
    }


def storage_floor(database: Path, tables: list[list[str]]) -> dict:
    """After the timed run, untimed by it: how long DuckDB alone takes to store again what the timed steps stored,
    each table copied into a new one in the same file (`create table ... as select * from` it). No Python, no
    Arrow, no arithmetic: what any pipeline that keeps these tables pays, however it computes them."""
    from pipeline import warehouse

    def values(con, schema: str, table: str) -> int:
        return warehouse.row_count(con, schema, table) * len(warehouse.column_types(con, schema, table))

    seconds: dict[str, float] = {}
    stored = copied = 0
    with warehouse.connect(database) as con:
        warehouse.run(con, "create schema bench_floor")
        for schema, table in tables:
            copy = f"{schema}__{table}"
            start = time.perf_counter()
            warehouse.run(con, f"create table bench_floor.{copy} as select * from {schema}.{table}")
            seconds[table] = time.perf_counter() - start
            stored += values(con, schema, table)
            copied += values(con, "bench_floor", copy)
    # both counts, so a copy that fell short shows (the test compares them)
    return {
        "storage_floor_s": sum(seconds.values()),
        "stored_values": stored,
        "storage_floor_values": copied,
        **{f"storage_floor_{table}": round(s, 3) for table, s in seconds.items()},
    }


def _charts(n: int) -> dict:
    import numpy as np

    from pipeline import charts

    gen = np.random.default_rng(7)
    frame = pl.DataFrame(
        {
            "model": [f"model-{i}" for i in range(n)],
            "model_type": gen.choice(["Vanilla", "Distilled", "Proprietary"], n),
            "training_flops": 10 ** gen.uniform(20, 26, n),
            "training_flops_kind": "computed",
            "gpqa_diamond": gen.uniform(0, 100, n),
        }
    )
    start = time.perf_counter()
    chart = charts.score_vs_compute(frame, "gpqa_diamond", "GPQA Diamond (%)", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        paths = charts.export(chart, Path(tmp) / "chart")
        sizes = {k: p.stat().st_size for k, p in paths.items()}
    return {"seconds": time.perf_counter() - start, "png_kib": sizes["png"] / 1024, "html_kib": sizes["html"] / 1024}


if __name__ == "__main__":
    stage, n = sys.argv[1], int(float(sys.argv[2]))
    print(json.dumps(run(stage, n, sys.argv[3] if len(sys.argv) > 3 else None)))
