"""Outputs: CSV tables, Altair charts and the HTML report, built in the working state's release folder, then
published into `out/` together with the warehouse."""

from __future__ import annotations

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.marts import HARDWARE_COMPARISON, MODEL_COMPARISON
from assets.metadata import chart_metadata, markdown_table
from assets.resources import LedgerPaths
from pipeline import charts, report, warehouse
from pipeline.export import csv_safe, discard_release, place_release, remove_leftovers, replace_into, stage_release, staging_dir

OUTPUTS = "outputs"
PUBLISH = "publish"
MART_TABLES = ("model_comparison", "hardware_comparison")


@dg.asset(
    key=["outputs", "comparison_tables"],
    deps=[MODEL_COMPARISON, HARDWARE_COMPARISON],
    group_name=OUTPUTS,
    kinds={"csv"},
    pool="duckdb_writer",
)
def comparison_tables(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """The marts as CSV files for `out/tables/` (one file per mart, every scenario)."""
    with warehouse_db.get_connection() as con:
        frames = {name: warehouse.read_table(con, "marts", name) for name in MART_TABLES}
    target = ledger.release / "tables"
    remove_leftovers(ledger.release)
    with staging_dir(target) as scratch:
        built = {}
        for name, frame in frames.items():
            path = scratch / f"{name}.csv"
            csv_safe(frame).write_csv(path)
            built[name] = path
        placed = replace_into(built, target)
    return dg.MaterializeResult(
        metadata={
            **{f"{name}_path": dg.MetadataValue.path(str(ledger.out / "tables" / path.name)) for name, path in placed.items()},
            **{f"{name}_rows": frames[name].height for name in frames},
        }
    )


def _chart_asset(name: str, description: str, build, extra_deps: list[dg.AssetKey] | None = None):
    @dg.asset(
        key=["outputs", name],
        deps=[MODEL_COMPARISON, HARDWARE_COMPARISON, *(extra_deps or [])],
        group_name=OUTPUTS,
        kinds={"altair", "png", "svg"},
        pool="duckdb_writer",
        description=description,
    )
    def _asset(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with warehouse_db.get_connection() as con:
            chart = build(con)
        target = ledger.release / "charts"
        with staging_dir(target) as scratch:
            placed = replace_into(charts.export(chart, scratch / name, cache_dir=ledger.cache_dir), target)
        return dg.MaterializeResult(
            metadata={
                **chart_metadata(placed["png"], placed["svg"]),
                "html_path": dg.MetadataValue.path(str(ledger.out / "charts" / placed["html"].name)),
            }
        )

    return _asset


def _scenario_models(con, scenario: str = "paper") -> pl.DataFrame:
    return warehouse.query_frame(con, "select * from marts.model_comparison where scenario = ?", [scenario])


gpqa_vs_compute_chart = _chart_asset(
    "gpqa_vs_compute_chart",
    "The paper's Figure 2: GPQA Diamond vs training FLOPs (log x), scenario `paper`.",
    lambda con: charts.score_vs_compute(
        _scenario_models(con), "gpqa_diamond", "GPQA Diamond (%)", "GPQA Diamond accuracy vs training compute (scenario: paper)"
    ),
)
aime_vs_compute_chart = _chart_asset(
    "aime_vs_compute_chart",
    "The paper's Figure 3: AIME 2024 vs training FLOPs (log x), scenario `paper`.",
    lambda con: charts.score_vs_compute(
        _scenario_models(con), "aime_2024", "AIME 2024 (%)", "AIME 2024 accuracy vs training compute (scenario: paper)"
    ),
)
gpqa_vs_compute_default_chart = _chart_asset(
    "gpqa_vs_compute_default_chart",
    "GPQA Diamond vs training FLOPs (log x) for every model the default scenario has "
    "both for: the paper's Figure 2 at breadth, the notable models labelled and every point with a tooltip.",
    lambda con: charts.score_vs_compute(
        _scenario_models(con, "default"),
        "gpqa_diamond",
        "GPQA Diamond (%)",
        "GPQA Diamond accuracy vs training compute (scenario: default)",
    ),
)
hardware_comparison_chart = _chart_asset(
    "hardware_comparison_chart",
    "The paper's Table 2 as a chart: GPU-hours and tCO2e per workload and accelerator.",
    lambda con: charts.hardware_comparison(
        warehouse.query_frame(con, "select * from marts.hardware_comparison where scenario = 'paper' and in_table2"),
        "Training time and emissions by accelerator (scenario: paper; whiskers: MFU range)",
    ),
)
DISTILLATION_PAIRS = dg.AssetKey(["marts", "distillation_pairs"])
distillation_pairs_chart = _chart_asset(
    "distillation_pairs_chart",
    "Each distilled model beside its vanilla counterpart: marginal (the paper's view) and "
    "lineage compute, with both multipliers on the chart (scenario `paper`).",
    lambda con: charts.distillation_pairs(
        warehouse.query_frame(con, "select * from marts.distillation_pairs where scenario = 'paper' order by student_params"),
        "What distillation cost: the paper's view and the lineage view (scenario: paper)",
    ),
    extra_deps=[DISTILLATION_PAIRS],
)
distillation_gain_chart = _chart_asset(
    "distillation_gain_chart",
    "Score gained by distillation (distilled minus its base model) by student size, over "
    "every pair the default scenario finds (scores as `default` chooses them: a third party's run first).",
    lambda con: charts.distillation_gain(
        warehouse.query_frame(con, "select * from marts.distillation_pairs where scenario = 'default'"),
        "Distillation gain by student size (GPQA Diamond and AIME 2024; scenario: default)",
    ),
    extra_deps=[DISTILLATION_PAIRS],
)
CHART_ASSETS = [
    gpqa_vs_compute_chart,
    aime_vs_compute_chart,
    gpqa_vs_compute_default_chart,
    hardware_comparison_chart,
    distillation_pairs_chart,
    distillation_gain_chart,
]


@dg.asset(
    key=["outputs", "report"],
    deps=[MODEL_COMPARISON, HARDWARE_COMPARISON, DISTILLATION_PAIRS, *[a.key for a in CHART_ASSETS]],
    group_name=OUTPUTS,
    kinds={"html"},
    pool="duckdb_writer",
)
def report_page(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """`out/report/index.html` (once published): comparison tables, charts and assumptions on one page that works offline."""
    with warehouse_db.get_connection() as con:
        models = warehouse.read_table(con, "marts", "model_comparison")
        hardware = warehouse.read_table(con, "marts", "hardware_comparison")
        pairs = warehouse.read_table(con, "marts", "distillation_pairs")
        scenarios = warehouse.query_frame(
            con,
            """
            select s.*, a.name as comparison_accelerator_name, a.peak_flops_per_s / 1e12 as comparison_peak_tflops,
                   a.mfu as comparison_mfu
            from staging.stg_scenarios s left join costs.scenario_accelerators a
              on a.scenario = s.scenario and a.accelerator_id = s.comparison_accelerator order by s.scenario_origin, s.scenario <> 'paper', s.scenario""",
        )
        sources = warehouse.query_frame(
            con,
            """
            select c.name, c.kind, coalesce(c.url, c.path, c.repo_ids) as location, c.snapshot_date, c.licence, c.citation,
                   c.upstream_url, c.sha256, l.loaded_at, l.fetch_status, l.rows, l.quarantined, l.stale_since, f.last_fetched
            from ref.sources c
            left join (select * from ops.source_loads qualify row_number() over (partition by source_name order by loaded_at desc) = 1) l
              on l.source_name = c.name
            left join (select source_name, max(fetched_at) as last_fetched from ops.source_snapshots
                       where status in ('fetched', 'not_modified') group by 1) f on f.source_name = c.name
            order by c.position""",
        )
    svgs = {asset.key.path[-1]: (ledger.release / "charts" / f"{asset.key.path[-1]}.svg").read_text() for asset in CHART_ASSETS}
    target = ledger.release / "report"
    with staging_dir(target) as scratch:
        built = report.render_report(models, hardware, pairs, scenarios, sources, svgs, scratch / "index.html")
        placed = replace_into({"index": built}, target)
    return dg.MaterializeResult(
        metadata={
            "report_path": dg.MetadataValue.path(str(ledger.out / "report" / placed["index"].name)),
            "bytes": placed["index"].stat().st_size,
        }
    )


@dg.asset(
    key=["publish", "published_warehouse"],
    group_name=PUBLISH,
    kinds={"duckdb"},
    pool="duckdb_writer",
    deps=[MODEL_COMPARISON, HARDWARE_COMPARISON, comparison_tables.key, report_page.key],
)
def published_warehouse(ledger: LedgerPaths) -> dg.MaterializeResult:
    """`out/warehouse.duckdb`, a copy of the working database swapped in atomically after the marts' blocking checks
    pass, and with it the tables, charts and report this run built. Everything is copied beside its place first;
    only then are the files renamed in, so a publish that fails (a full disk) leaves `out/` as it was."""
    # The working file must not be open for writing while it is attached read-only for the copy.
    leftovers = remove_leftovers(ledger.out)
    staged = stage_release(ledger.release, ledger.out)
    try:
        counts = warehouse.publish(ledger.working_db, ledger.published_db)
    except BaseException:
        discard_release(staged)
        raise
    files = place_release(staged)
    with warehouse.connect(ledger.published_db, read_only=True) as con:
        preview = warehouse.query_frame(
            con,
            "select scenario, model, model_type, training_flops, accelerator_id, gpu_hours, tco2e, "
            "gpqa_diamond, aime_2024 from model_comparison order by scenario, training_flops desc",
        )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(ledger.published_db)),
            "tables": dg.MetadataValue.json(counts),
            "dagster/row_count": counts.get("marts.model_comparison", 0),
            "leftovers_of_killed_runs_removed": len(leftovers),
            "output_files_published": files,
            "preview": dg.MetadataValue.md(markdown_table(preview, max_rows=40)),
            "query": dg.MetadataValue.md(
                f"```\nduckdb {ledger.published_db} -c \"select * from model_comparison where scenario='paper'\"\n```"
            ),
        }
    )


output_assets = [comparison_tables, *CHART_ASSETS, report_page, published_warehouse]
