"""One benchmark stage per process (so peak RSS is the stage's own): `python -m bench.stages <stage> <n> [folder]`
prints {"seconds": ..., "rss_mib": ...} as JSON."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from bench.generate import cost_rows, fact_rows
from pipeline import costmodel as cm


WARM_UP_ROWS = 1_000


def _cost_polars(frame: pl.DataFrame) -> pl.DataFrame:
    # A lazy plan, as costmodel.model_costs builds: the shared sub-expressions are computed once.
    flops = cm.pretraining_flops(pl.col("params"), pl.col("tokens"))
    hours = cm.gpu_hours(flops, pl.col("peak_flops_per_s"), pl.col("mfu"))
    energy = cm.energy_mwh(hours, pl.col("tdp_w"), pl.col("pue"))
    return frame.lazy().with_columns(training_flops=flops, gpu_hours=hours, energy_mwh=energy,
                                     tco2e=cm.emissions_tco2e(energy, pl.col("grid"))).collect()


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


# stage -> (loader, worker processes); None = every core, as the pipeline does
CARD_STAGES = {"parse_fast": ("fast", None), "parse_fast_one_process": ("fast", 1), "parse_hub": ("hub", 1)}


def run(stage: str, n: int, folder: str | None) -> dict:
    timings: dict[str, float] = {}
    if stage in CARD_STAGES:
        from pipeline.sources.model_cards import available_cores, read_card_files
        from pipeline.sources.files import files_under
        from pipeline.sources.records import Batch
        loader, workers = CARD_STAGES[stage]
        files = files_under(Path(folder), ("*.md",))[:n]
        start = time.perf_counter()
        batch = Batch("bench")
        read_card_files(files, batch, loader=loader, workers=workers)
        batch.frames()
        timings["seconds"] = time.perf_counter() - start
        timings["models"] = len(batch.models)
        timings["processes"] = workers or available_cores()
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
        start = time.perf_counter()
        out = compute(data)
        timings["seconds"] = time.perf_counter() - start
        timings["rows_out"] = len(out)  # proof the rows were computed, not just planned
    elif stage == "pipeline":
        timings.update(_pipeline(n))
        timings["seconds"] = sum(timings[k] for k in ("validate", "cost", "load", "marts"))
    elif stage == "charts":
        timings.update(_charts(n))
    elif stage == "dagster":
        from bench import dagster_runs
        timings.update(dagster_runs.measure())
        timings["seconds"] = timings["make_run_s"]
    timings["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return timings


def _pipeline(n: int) -> dict:
    """validate -> cost -> load -> marts on `n` fact rows with the pipeline's own functions and SQL: every table the
    cost assets write, and the model_comparison mart."""
    from pipeline import schemas, warehouse
    from pipeline.sources.reference import read_accelerators, read_prices
    from pipeline.paths import PROJECT_ROOT
    from pipeline.validation import split_valid

    facts, profiles = fact_rows(n)
    data = PROJECT_ROOT / "data" / "reference"
    scenarios = pl.DataFrame({"scenario": ["paper", "default"], "pue": [1.1, 1.1], "grid_tco2e_per_mwh": [0.429, 0.429],
                              "comparison_accelerator": ["h100_sxm"] * 2, "inference_mfu": [0.25, 0.25],
                              "moe_params": ["total", "active"], "fact_precedence": ["published|reported|estimated", "reported|estimated|published"],
                              "flops_method_precedence": ["declared", "reported|formula|hardware|estimated|published"]})
    overrides = pl.DataFrame(schema={"scenario": pl.Utf8, "accelerator_id": pl.Utf8, "peak_tflops": pl.Float64, "mfu": pl.Float64,
                                     "price_usd_per_gpu_hour": pl.Float64})
    hardware = cm.scenario_accelerators(read_accelerators(data / "accelerators.csv"), scenarios, overrides, read_prices(data / "prices.csv"))
    out = {}
    start = time.perf_counter()
    valid, _ = split_valid(facts, schemas.ModelFact, "bench", "model_name")
    out["validate"] = time.perf_counter() - start
    # The cost assets' calls, in their order (assets/costs.py), on frames held in memory.
    start = time.perf_counter()
    model_facts = valid.select(pl.col("model_name").alias("model_id"), "quantity", "value", "kind", "source", "url", "accelerator", "scope")
    resolved = cm.resolve_facts(model_facts, scenarios)
    inputs = cm.model_inputs(profiles, resolved, scenarios, hardware)
    candidates = cm.flops_candidates(inputs, model_facts)
    flops = cm.choose_flops(inputs, candidates, scenarios)
    lineage = cm.lineage(flops, pl.DataFrame(schema={"model_id": pl.Utf8, "parent_id": pl.Utf8}))
    costs = cm.model_costs(flops, hardware)
    reconciliation = cm.reconcile(flops, costs, candidates, resolved)
    out["cost"] = time.perf_counter() - start
    out["cost_rows"] = costs.height
    out["fact_choice_rows"] = resolved.height
    with tempfile.TemporaryDirectory() as tmp, warehouse.connect(Path(tmp) / "bench.duckdb") as con:
        start = time.perf_counter()
        for table, frame in (("scenario_accelerators", hardware), ("fact_choices", resolved), ("flops_candidates", candidates),
                             ("model_flops", flops), ("lineage", lineage), ("model_costs", costs),
                             ("reconciliation", reconciliation)):
            warehouse.write_table(con, "costs", table, frame)
        warehouse.write_table(con, "core", "model_profiles", profiles.with_columns(
            model=pl.col("model_id"), organization=pl.lit(None, pl.Utf8), model_type_basis=pl.lit("bench"),
            base_model_id=pl.lit(None, pl.Utf8), sources=pl.lit("bench")))
        out["load"] = time.perf_counter() - start
        warehouse.write_table(con, "core", "benchmark_scores", pl.DataFrame(schema={
            "model_id": pl.Utf8, "benchmark_id": pl.Utf8, "score_pct": pl.Float64, "source": pl.Utf8, "source_rank": pl.Int64,
            "source_name": pl.Utf8}))
        warehouse.write_table(con, "core", "paper_table1", pl.DataFrame(schema={
            "model_id": pl.Utf8, "source_name": pl.Utf8, "row_number": pl.Int64, **{f"{c}{s}": t for c in (
                "training_flops", "gpu_hours_h100", "tco2e") for s, t in (("", pl.Float64), ("_sig_digits", pl.Int64))},
            "gpqa_diamond": pl.Float64, "aime_2024": pl.Float64}))
        start = time.perf_counter()
        out["mart_rows"] = warehouse.build_from_sql(con, "marts", "model_comparison", "table")
        out["marts"] = time.perf_counter() - start
    return out


def _charts(n: int) -> dict:
    import numpy as np
    from pipeline import charts
    gen = np.random.default_rng(7)
    frame = pl.DataFrame({"model": [f"model-{i}" for i in range(n)], "model_type": gen.choice(["Vanilla", "Distilled", "Proprietary"], n),
                          "training_flops": 10 ** gen.uniform(20, 26, n), "training_flops_kind": "computed",
                          "gpqa_diamond": gen.uniform(0, 100, n)})
    start = time.perf_counter()
    chart = charts.score_vs_compute(frame, "gpqa_diamond", "GPQA Diamond (%)", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        paths = charts.export(chart, Path(tmp) / "chart")
        sizes = {k: p.stat().st_size for k, p in paths.items()}
    return {"seconds": time.perf_counter() - start, "png_kib": sizes["png"] / 1024, "html_kib": sizes["html"] / 1024}


if __name__ == "__main__":
    stage, n = sys.argv[1], int(float(sys.argv[2]))
    print(json.dumps(run(stage, n, sys.argv[3] if len(sys.argv) > 3 else None)))
