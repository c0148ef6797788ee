"""Run every benchmark stage in its own process, repeatedly, and report medians, rows/s and peak RSS.

python -m bench            # what `make bench` runs
python -m bench --quick    # smaller sizes, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.generate import write_cards
from pipeline.paths import default_out_dir


def measure(stage: str, n: int, repeats: int, folder: Path | None = None) -> dict:
    runs = []
    for _ in range(repeats):
        result = subprocess.run(
            [sys.executable, "-m", "bench.stages", stage, str(n), *([str(folder)] if folder else [])], capture_output=True, text=True
        )
        if result.returncode:
            raise RuntimeError(f"bench stage {stage} at n={n} failed:\n{result.stderr[-3000:]}")
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    seconds = statistics.median(r["seconds"] for r in runs)
    extra = {k: v for k, v in runs[0].items() if k not in ("seconds", "rss_mib")}
    return {
        "stage": stage,
        "n": n,
        "repeats": repeats,
        "median_s": seconds,
        "rows_per_s": n / seconds if seconds else None,
        "peak_rss_mib": max(r["rss_mib"] for r in runs),
        **{k: statistics.median(r[k] for r in runs) if isinstance(v, float) else v for k, v in extra.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    card_sizes = [1_000, 3_000] if args.quick else [1_000, 10_000, 100_000]
    out = default_out_dir() / "bench"
    out.mkdir(parents=True, exist_ok=True)
    partial = out / "results.partial.json"  # what was measured so far, should a later stage fail
    results: list[dict] = []

    def keep(result: dict) -> None:
        results.append(result)
        partial.write_text(json.dumps(results, indent=2))

    for n in sizes:
        for stage in ("cost_polars", "cost_pandas_vector", "cost_duckdb", "pipeline"):
            keep(measure(stage, n, 3))
        keep(measure("cost_pandas_rows", n, 1))  # about 12 s at 1e6: once per size
        if n == max(sizes):  # the same with DuckDB held to 500 MB: the memory it saves and the time it costs
            keep(measure("pipeline_duckdb_500mb", n, 3))
        keep(measure("charts", n, 1 if n >= 100_000 else 3))
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_cards(Path(tmp) / "cards", max(card_sizes))
        for n in card_sizes:
            keep(measure("parse_fast", n, 3, folder))
            keep(measure("parse_fast_one_worker", n, 3, folder))
            keep(measure("parse_fast_in_process", n, 3, folder))
            # ModelCard takes minutes at 1e5 and its per-card rate is flat: one run there.
            keep(measure("parse_hub", n, 1 if n >= 100_000 else 3, folder))
        # The same parsing inside a Dagster run, as `make run` starts it and as the `dagster` script would.
        for stage in ("cards_step_python_m_dagster", "cards_step_dagster_script"):
            keep(measure(stage, card_sizes[1], 3, folder))
    keep(measure("dagster", 0, 1 if args.quick else 3))
    report = render(results)
    print(report)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(report)
    partial.unlink()
    print(f"\nwritten to {out}/results.md and results.json")


def render(results: list[dict]) -> str:
    by = {(r["stage"], r["n"]): r for r in results}
    lines = [
        f"Distill Ledger benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"Python {platform.python_version()}; medians of the repeats shown; each run in its own process.",
        "",
        "| stage | n | repeats | median s | rows/s | peak RSS MiB | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        notes = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in r.items()
            if k not in ("stage", "n", "repeats", "median_s", "rows_per_s", "peak_rss_mib")
        )
        lines.append(
            f"| {r['stage']} | {r['n']:,} | {r['repeats']} | {r['median_s']:.4f} | {r['rows_per_s']:,.0f} | "
            f"{r['peak_rss_mib']:.0f} | {notes} |"
        )
    lines += ["", "Ratios measured in this run:"]
    row_rate = max((r for r in results if r["stage"] == "cost_pandas_rows"), key=lambda r: r["n"], default=None)

    def row_by_row(n: int) -> tuple[float, str] | None:
        """Row-by-row pandas time at n: measured, or from the largest measured run's per-row time (said so)."""
        if ("cost_pandas_rows", n) in by:
            return by[("cost_pandas_rows", n)]["median_s"], ""
        if row_rate is None:
            return None
        return row_rate["median_s"] / row_rate["n"] * n, f" (extrapolated from n={row_rate['n']:,})"

    for n in sorted({r["n"] for r in results if r["stage"] == "cost_polars"}):
        polars_s = by[("cost_polars", n)]["median_s"]
        rows = row_by_row(n)
        lines.append(
            f"- cost columns, n={n:,}: polars {polars_s:.4f} s; vectorised pandas "
            f"{by[('cost_pandas_vector', n)]['median_s'] / polars_s:.2f}x polars's time, DuckDB SQL "
            f"{by[('cost_duckdb', n)]['median_s'] / polars_s:.2f}x"
            + (f", pandas row by row {rows[0] / polars_s:,.0f}x{rows[1]}" if rows else "")
        )
    for n in sorted({r["n"] for r in results if r["stage"] == "parse_fast"}):
        fast, worker = by[("parse_fast", n)], by[("parse_fast_one_worker", n)]
        bare, hub = by[("parse_fast_in_process", n)], by[("parse_hub", n)]
        lines.append(
            f"- card parsing, {n:,} cards: fast loader on {fast['processes']} worker processes {fast['rows_per_s']:,.0f}/s "
            f"({hub['median_s'] / fast['median_s']:.1f}x huggingface_hub ModelCard's {hub['rows_per_s']:,.0f}/s), "
            f"on one worker {worker['rows_per_s']:,.0f}/s; the parse alone in this process, without the crash "
            f"guard, {bare['rows_per_s']:,.0f}/s ({hub['median_s'] / bare['median_s']:.1f}x ModelCard)"
        )
    for n in sorted({r["n"] for r in results if r["stage"] == "cards_step_python_m_dagster"}):
        module, script = by[("cards_step_python_m_dagster", n)], by[("cards_step_dagster_script", n)]
        lines.append(
            f"- a card source's step over {n:,} cards in a Dagster run (read, parse, write): {module['median_s']:.2f} s "
            f"started as `python -m dagster` (make run, the UI's runs), {script['median_s']:.2f} s as the `dagster` script"
        )
    for n in sorted({r["n"] for r in results if r["stage"] == "pipeline"}):
        run = by[("pipeline", n)]
        capped = by.get(("pipeline_duckdb_500mb", n))
        lines.append(
            f"- pipeline (the validate, cost and mart assets run by Dagster), n={n:,}: {run['median_s']:.2f} s, "
            f"peak RSS {run['peak_rss_mib']:,.0f} MiB"
            + (f"; with DuckDB held to 500 MB {capped['median_s']:.2f} s, {capped['peak_rss_mib']:,.0f} MiB" if capped else "")
            + f"; {run['median_s'] / by[('cost_duckdb', n)]['median_s']:,.0f}x the bare cost columns in one DuckDB query"
            + f"; DuckDB alone storing again the tables it wrote ({run['storage_floor_values']:,} values) "
            f"{run['storage_floor_s']:.2f} s"
        )
    if ("dagster", 0) in by:
        d = by[("dagster", 0)]
        lines.append(
            f"- Dagster: `make run` (`python -m assets.run`) {d['make_run_s']:.1f} s (the first run in a new state "
            f"folder {d['make_run_first_s']:.1f} s), of which the no-op twin of the "
            f"graph (Dagster alone, code loading included) {d['noop_twin_s']:.1f} s and the pipeline's work "
            f"{d['pipeline_work_s']:.1f} s; loading the definitions {d['load_definitions_s']:.1f} s; a scheduled run with "
            f"unchanged sources {d['no_change_s']:.2f} s, requesting {d['no_change_requested']} downstream runs"
        )
        lines.append(
            f"- breadth: the same command on the paper's cards and tables alone {d['make_run_paper_only_s']:.1f} s; "
            f"the full default (the real-data snapshots too) takes {d['breadth_ratio']:.2f}x that"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
