"""Altair chart builders and export to PNG, SVG and offline HTML (vl-convert, no CDN)."""

from __future__ import annotations

import itertools
import json
import math
import os
import sys
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

from pipeline.labels import place_labels, polyline_boxes

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
MODEL_TYPE_COLOURS = {"Vanilla": "#0072B2", "Distilled": "#D55E00", "Proprietary": "#009E73", "Teacher": "#CC79A7"}
ACCELERATOR_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
FONT = "DejaVu Sans"


def _category(field: str, title: str, colours: dict[str, str], **legend) -> tuple[alt.Color, alt.Shape]:
    """One category drawn by colour and by shape at once, so the chart reads in greyscale and to colour-blind eyes."""
    colour = alt.Color(f"{field}:N", title=title, scale=alt.Scale(domain=list(colours), range=list(colours.values())), **legend)
    return colour, alt.Shape(f"{field}:N", title=title, scale=alt.Scale(domain=list(colours)))


def _theme(chart: alt.Chart, **legend) -> alt.Chart:
    """One look for every chart: the font, axis and legend sizes, the title placement."""
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=11, titleFontSize=12, gridOpacity=0.4)
        .configure_legend(labelFontSize=11, titleFontSize=12, symbolOpacity=1, **legend)
        .configure_title(fontSize=14, anchor="start")
    )


WIDTH, HEIGHT = 640, 400
MAX_LABELLED_POINTS = 300  # more cannot be labelled legibly in 640 x 400 px


def display_sample(frame: pl.DataFrame, x: str, y: str, limit: int = MAX_LABELLED_POINTS) -> pl.DataFrame:
    """At most `limit` rows to draw: the whole Pareto frontier, the best of each model type, then a seeded
    random sample of the rest. The chart says how many it shows of how many."""
    if frame.height <= limit:
        return frame
    best = frame.sort(y, descending=True).group_by("model_type", maintain_order=True).head(5).select(frame.columns)
    keep = pl.concat([pareto_frontier(frame, x, y), best]).unique("model", maintain_order=True)
    rest = frame.join(keep.select("model"), on="model", how="anti")
    return pl.concat([keep, rest.sample(n=max(limit - keep.height, 0), seed=7)]).head(limit)


def pareto_frontier(frame: pl.DataFrame, x: str, y: str) -> pl.DataFrame:
    """The models no other model beats on score with no more compute (the best score for the compute)."""
    ordered = frame.sort([x, y], descending=[False, True])
    best = ordered.with_columns(pl.col(y).cum_max().shift(1).alias("_best_before"))
    return best.filter(pl.col("_best_before").is_null() | (pl.col(y) > pl.col("_best_before"))).drop("_best_before")


def _log_domain(values: pl.Series) -> tuple[float, float]:
    """Whole decades around the values; at least one decade wide (one point at exactly 1e23 still has an axis)."""
    lo, hi = math.floor(math.log10(values.min())), math.ceil(math.log10(values.max()))
    return 10.0**lo, 10.0 ** max(hi, lo + 1)


def _decades(values: pl.Series) -> list[float]:
    """Tick values for a log axis: one per decade over `values`. Vega's own log ticks add 2 and 5 within each
    decade, whose labels run into each other ("10k20k") on a narrow axis."""
    values = values.filter(values > 0)  # a comparison with null is null, which the filter drops
    if values.is_empty():  # nothing to draw: an axis of one decade
        return [1.0, 10.0]
    lo, hi = _log_domain(values)
    return [10.0**k for k in range(round(math.log10(lo)), round(math.log10(hi)) + 1)]


def score_vs_compute(frame: pl.DataFrame, score_column: str, score_title: str, title: str) -> alt.Chart:
    """The paper's Figures 2 and 3: score against training FLOPs (log x), coloured by model type, every
    point labelled without overlap (pipeline.labels), and the Pareto frontier of score per compute."""
    scored = frame.filter(pl.col(score_column).is_not_null())
    everything = scored.filter(pl.col("training_flops").is_not_null() & (pl.col("training_flops") > 0)).select(
        "model", "model_type", "training_flops", "training_flops_kind", score_column
    )
    data = display_sample(everything, "training_flops", score_column)
    subtitle = [
        "dashed: Pareto frontier (best score for the compute)"
        + (
            f"; showing {data.height} of {everything.height} models (the frontier, the best of each type and a random sample)"
            if data.height < everything.height
            else ""
        )
    ]
    if scored.height > everything.height:  # a score without a compute figure has no place on this axis: say so
        subtitle.append(
            f"{scored.height - everything.height} of {scored.height} models with a score are not drawn: their training compute is unknown"
        )
    if data.height == 0:
        return _theme(
            alt.Chart(pl.DataFrame({"note": ["no model has both a score and a training compute figure"]}))
            .mark_text(fontSize=13, font=FONT)
            .encode(text="note:N")
            .properties(title=alt.TitleParams(title, subtitle=subtitle), width=WIDTH, height=HEIGHT)
        )
    lo, hi = _log_domain(data["training_flops"])
    span = math.log10(hi) - math.log10(lo)
    to_px = lambda f, s: ((math.log10(f) - math.log10(lo)) / span * WIDTH, HEIGHT - s / 100 * HEIGHT)  # noqa: E731
    frontier_rows = pareto_frontier(everything, "training_flops", score_column)
    corners = [to_px(f, v) for f, v in frontier_rows.select("training_flops", score_column).iter_rows()]
    step_path = [p for a, b in itertools.pairwise(corners) for p in (a, (b[0], a[1]))] + corners[-1:]  # step-after
    placements = place_labels(
        [(*to_px(f, v), m) for m, f, v in data.select("model", "training_flops", score_column).iter_rows()],
        WIDTH,
        HEIGHT,
        obstacles=polyline_boxes(step_path),
    )
    data = data.with_columns(
        label_x=pl.Series([10 ** (math.log10(lo) + p.x / WIDTH * span) for p in placements]),
        label_y=pl.Series([(HEIGHT - p.y) / HEIGHT * 100 for p in placements]),
        label_align=pl.Series([p.align for p in placements]),
        label_moved=pl.Series([p.moved for p in placements]),
    )
    x_scale = alt.Scale(type="log", domain=[lo, hi])
    y_scale = alt.Scale(domain=[0, 100])
    x = alt.X("training_flops:Q", scale=x_scale, title="Training compute (FLOP, log scale)", axis=alt.Axis(format=".0e"))
    y = alt.Y(f"{score_column}:Q", title=score_title, scale=y_scale)
    colour, shape = _category("model_type", "Model type", MODEL_TYPE_COLOURS)
    frontier = (
        alt.Chart(frontier_rows).mark_line(interpolate="step-after", strokeDash=[4, 3], color="#555555", opacity=0.8).encode(x=x, y=y)
    )
    points = (
        alt.Chart(data)
        .mark_point(size=90, filled=True, opacity=0.95)
        .encode(
            x=x,
            y=y,
            color=colour,
            shape=shape,
            tooltip=[
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("model_type:N", title="Type"),
                alt.Tooltip("training_flops:Q", title="Training FLOP", format=".3e"),
                alt.Tooltip("training_flops_kind:N", title="FLOP kind"),
                alt.Tooltip(f"{score_column}:Q", title=score_title),
            ],
        )
    )
    leaders = (
        alt.Chart(data.filter(pl.col("label_moved")))
        .mark_rule(color="#999999", strokeWidth=0.7)
        .encode(x=x, y=y, x2="label_x:Q", y2="label_y:Q")
    )
    labels = [
        alt.Chart(data.filter(pl.col("label_align") == align))
        .mark_text(align=align, baseline="middle", fontSize=10, font=FONT)
        .encode(x=alt.X("label_x:Q", scale=x_scale), y=alt.Y("label_y:Q", scale=y_scale), text="model:N")
        for align in ("left", "right", "center")
        if (data["label_align"] == align).any()
    ]
    layered = alt.layer(frontier, leaders, points, *labels).properties(
        title=alt.TitleParams(title, subtitle=subtitle), width=WIDTH, height=HEIGHT
    )
    return _theme(layered)


def distillation_pairs(frame: pl.DataFrame, title: str) -> alt.Chart:
    """Each distilled model beside its vanilla counterpart: the paper's marginal compute and the lineage
    compute, with both multipliers written on the chart."""
    rows = []
    for r in frame.iter_rows(named=True):
        pair = f"{r['student']} vs {r['vanilla']}"
        rows += [
            {"pair": pair, "what": "vanilla: training", "flops": r["vanilla_training_flops"]},
            {"pair": pair, "what": "distilled: marginal (the paper)", "flops": r["student_marginal_flops"]},
            {"pair": pair, "what": "distilled: lineage (base + distillation)", "flops": r["student_lineage_flops"]},
        ]
    data = pl.DataFrame(rows, schema={"pair": pl.Utf8, "what": pl.Utf8, "flops": pl.Float64})
    ticks = _decades(data["flops"])
    data = data.with_columns(base=pl.lit(ticks[0]))  # lollipops rather than bars: a bar has no baseline on a log axis
    # the multipliers go under each pair's name, so the axis needs no room for text
    notes = frame.select(
        pl.format("{} vs {}", "student", "vanilla").alias("pair"),
        # the lineage multiplier (vanilla ÷ distilled lineage) is just below 1: said as how much more the distilled cost
        pl.when(pl.col("lineage_multiplier") < 1)
        .then(
            pl.format(
                "paper: {}× less · lineage: {}× more",
                pl.col("marginal_multiplier").round(0).cast(pl.Int64),
                (1 / pl.col("lineage_multiplier")).round(4),
            )
        )
        .otherwise(
            pl.format(
                "paper: {}× less · lineage: {}× less",
                pl.col("marginal_multiplier").round(0).cast(pl.Int64),
                pl.col("lineage_multiplier").round(4),
            )
        )
        .alias("note"),
    )
    data = data.join(notes, on="pair", how="left").with_columns(
        label=pl.concat_str([pl.col("pair"), pl.col("note").fill_null("")], separator="\n")
    )
    order = ["vanilla: training", "distilled: marginal (the paper)", "distilled: lineage (base + distillation)"]
    colour = alt.Color("what:N", title=None, sort=order, scale=alt.Scale(domain=order, range=["#0072B2", "#D55E00", "#E69F00"]))
    y = alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=360, labelExpr="split(datum.label, '\\n')", labelLineHeight=15))
    x_scale = alt.Scale(type="log", domain=[ticks[0], ticks[-1]])
    x = alt.X("flops:Q", scale=x_scale, title="Training compute (FLOP, log scale)", axis=alt.Axis(format=".0e", values=ticks))
    offset = alt.YOffset("what:N", sort=order)
    sticks = (
        alt.Chart(data).mark_rule(strokeWidth=3).encode(x=alt.X("base:Q", scale=x_scale), x2="flops:Q", y=y, yOffset=offset, color=colour)
    )
    heads = (
        alt.Chart(data)
        .mark_point(filled=True, size=90, opacity=1)
        .encode(
            x=x,
            y=y,
            yOffset=offset,
            color=colour,
            tooltip=[alt.Tooltip("pair:N"), alt.Tooltip("what:N"), alt.Tooltip("flops:Q", format=".3e"), alt.Tooltip("note:N")],
        )
    )
    chart = alt.layer(sticks, heads).properties(title=title, width=WIDTH, height=max(160, 120 * frame.height))
    return _theme(chart, orient="bottom", labelLimit=400)


def distillation_gain(frame: pl.DataFrame, title: str) -> alt.Chart:
    """Score gained by distillation (distilled minus its base model, percentage points) by student size."""
    data = (
        pl.concat(
            [
                frame.select(
                    "student",
                    pl.col("student_params").alias("params"),
                    pl.lit("GPQA Diamond").alias("benchmark"),
                    pl.col("gpqa_diamond_gain").alias("gain"),
                ),
                frame.select(
                    "student",
                    pl.col("student_params").alias("params"),
                    pl.lit("AIME 2024").alias("benchmark"),
                    pl.col("aime_2024_gain").alias("gain"),
                ),
            ]
        )
        .filter(pl.col("gain").is_not_null() & pl.col("params").is_not_null())
        .with_columns(params_b=pl.col("params") / 1e9)
    )
    drawn = data["student"].n_unique()
    # half and twice the smallest and largest student: the points spread over the axis, room for their labels
    domain = [data["params_b"].min() / 2, data["params_b"].max() * 2] if data.height else [1, 100]
    x = alt.X("params_b:Q", scale=alt.Scale(type="log", domain=domain, nice=False), title="Student parameters (billions, log scale)")
    y = alt.Y("gain:Q", title="Gain over the base model (percentage points)")
    # the legend below the plot: labels of the largest students run to the right edge
    colour, shape = _category(
        "benchmark", "Benchmark", {"GPQA Diamond": "#0072B2", "AIME 2024": "#D55E00"}, legend=alt.Legend(orient="bottom")
    )
    points = (
        alt.Chart(data)
        .mark_point(size=110, filled=True, opacity=1)
        .encode(
            x=x,
            y=y,
            color=colour,
            shape=shape,
            tooltip=["student:N", "benchmark:N", alt.Tooltip("params_b:Q", title="params (B)"), alt.Tooltip("gain:Q", format=".1f")],
        )
    )
    labels = alt.Chart(data).mark_text(align="left", dx=8, fontSize=10, font=FONT).encode(x=x, y=y, text="student:N", color=colour)
    zero = alt.Chart(pl.DataFrame({"gain": [0.0]})).mark_rule(color="#888888").encode(y="gain:Q")
    subtitle = [
        f"{drawn} of {frame.height} distillation pairs drawn (the rest lack a score or a size on one side).",
        "Gain: the distilled model's score minus its base model's, in percentage points.",
        "A knowledge-distillation study (arXiv:2505.15442) reports up to 10% better average performance",
        "at 0.5-7B and ~1.3% for larger students: its own percentages, not points on this axis.",
    ]
    return _theme(
        alt.layer(zero, points, labels).properties(title=alt.TitleParams(title, subtitle=subtitle), width=WIDTH, height=HEIGHT - 80)
    )


def hardware_comparison(frame: pl.DataFrame, title: str) -> alt.Chart:
    """Table 2 as a chart: GPU-hours and tCO2e per workload and accelerator, log scale, MFU range as error bars."""
    data = frame.select(
        "workload", "accelerator", "gpu_hours", "gpu_hours_low", "gpu_hours_high", "tco2e", "tco2e_low", "tco2e_high", "mfu"
    )
    accelerators = sorted(data["accelerator"].unique().to_list())
    colour = alt.Color(
        "accelerator:N",
        title="Accelerator",
        scale=alt.Scale(domain=accelerators, range=ACCELERATOR_COLOURS[: len(accelerators)]),
        legend=alt.Legend(orient="bottom", columns=3),
    )

    def panel(measure: str, axis_title: str, axis_format: str, workload_labels: bool) -> alt.LayerChart:
        # A dot per accelerator with the MFU range as a whisker: bars have no baseline on a log axis.
        ticks = _decades(pl.concat([data[f"{measure}_low"], data[measure], data[f"{measure}_high"]]))
        x_scale = alt.Scale(type="log", domain=[ticks[0], ticks[-1]])
        base = alt.Chart(data).encode(
            # the second panel's rows are the first's: its labels would only repeat them
            y=alt.Y("workload:N", title=None, axis=alt.Axis(labelLimit=260) if workload_labels else alt.Axis(labels=False, ticks=False)),
            yOffset=alt.YOffset("accelerator:N", sort=accelerators),
            color=colour,
        )
        whiskers = base.mark_rule(strokeWidth=2).encode(
            x=alt.X(f"{measure}_low:Q", scale=x_scale, title=axis_title, axis=alt.Axis(format=axis_format, values=ticks)),
            x2=f"{measure}_high:Q",
        )
        dots = base.mark_point(filled=True, size=70, opacity=1).encode(
            x=alt.X(f"{measure}:Q", scale=x_scale),
            tooltip=[
                alt.Tooltip("workload:N"),
                alt.Tooltip("accelerator:N"),
                alt.Tooltip("mfu:Q", title="MFU"),
                alt.Tooltip(f"{measure}:Q", format=",.4~g"),
                alt.Tooltip(f"{measure}_low:Q", title="low (MFU high)", format=",.4~g"),
                alt.Tooltip(f"{measure}_high:Q", title="high (MFU low)", format=",.4~g"),
            ],
        )
        return (whiskers + dots).properties(width=330, height=330)

    chart = alt.hconcat(
        panel("gpu_hours", "GPU-hours (log)", "~s", True), panel("tco2e", "tCO2e (log)", "~g", False), spacing=24
    ).properties(title=title)
    return _theme(chart)


_SPEC_SENTINEL = {"distill_ledger_spec_placeholder": True}
_html_shells: dict[str, tuple[str, str]] = {}
# The bundle belongs to the installed vl-convert, so the Makefile prepares it right after installing
# (`python -m pipeline.charts`): a new state folder's first run does not pay for bundling.
INSTALL_CACHE = Path(sys.prefix) / "share" / "distill-ledger"


def _shell_name() -> str:
    return f"vega-html-shell-{getattr(vlc, '__version__', 'unknown')}.json"


def _read_shell(path: Path) -> tuple[str, str] | None:
    try:
        head, tail = json.loads(path.read_text())
        return head, tail
    except (OSError, ValueError, TypeError):
        return None


def _write_shell(path: Path, shell: tuple[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(shell))
    os.replace(tmp, path)


def _bundle_shell() -> tuple[str, str]:
    page = vlc.vegalite_to_html(_SPEC_SENTINEL, bundle=True)
    marker = json.dumps(_SPEC_SENTINEL, separators=(",", ":"))
    head, found, tail = page.partition(marker)
    if not found:
        raise RuntimeError("vl-convert's HTML page no longer embeds the spec as compact JSON")
    return head, tail


def _html_shell(cache_dir: Path | None) -> tuple[str, str]:
    """The offline HTML page vl-convert writes (Vega, Vega-Lite and vega-embed bundled inline, ~0.9 MB), split
    around the spec. Bundling takes vl-convert ~1.3 s, the same for every chart, so it is done once per
    vl-convert version: kept in memory, in the installation (`INSTALL_CACHE`) or else in `cache_dir`."""
    name = _shell_name()
    if name in _html_shells:
        return _html_shells[name]
    shell = next((found for folder in (INSTALL_CACHE, cache_dir) if folder for found in [_read_shell(folder / name)] if found), None)
    if shell is None:
        shell = _bundle_shell()
        if cache_dir:
            _write_shell(cache_dir / name, shell)
    _html_shells[name] = shell
    return shell


def prepare_install_cache() -> Path:
    """Bundle the page once for the installed vl-convert (run by the Makefile after installing)."""
    path = INSTALL_CACHE / _shell_name()
    _write_shell(path, _bundle_shell())
    return path


def script_safe_json(spec: dict) -> str:
    """The spec as JSON that cannot end the <script> it sits in: model names come from untrusted cards."""
    text = json.dumps(spec, separators=(",", ":"), ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def offline_html(spec: dict, cache_dir: Path | None = None) -> str:
    head, tail = _html_shell(cache_dir)
    return head + script_safe_json(spec) + tail


def export(chart: alt.Chart, stem: Path, cache_dir: Path | None = None) -> dict[str, Path]:
    """Write `<stem>.png`, `.svg` and `.html` (self-contained: Vega bundled inline, no network)."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    spec = chart.to_dict()
    paths = {kind: stem.with_suffix(f".{kind}") for kind in ("png", "svg", "html")}
    svg = vlc.vegalite_to_svg(spec)
    paths["svg"].write_text(svg)
    paths["png"].write_bytes(vlc.svg_to_png(svg, scale=2))  # rasterise the SVG rather than render the chart twice
    paths["html"].write_text(offline_html(spec, cache_dir))
    return paths


if __name__ == "__main__":
    print(f"chart pages' Vega bundle prepared: {prepare_install_cache()}")
