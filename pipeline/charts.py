"""Altair chart builders and export to PNG, SVG and offline HTML (vl-convert, no CDN)."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
MODEL_TYPE_COLOURS = {"Vanilla": "#0072B2", "Distilled": "#D55E00", "Proprietary": "#009E73", "Teacher": "#CC79A7"}
ACCELERATOR_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
FONT = "DejaVu Sans"


def _theme(chart: alt.Chart) -> alt.Chart:
    return chart.configure(font=FONT).configure_axis(labelFontSize=11, titleFontSize=12, gridOpacity=0.4) \
        .configure_legend(labelFontSize=11, titleFontSize=12).configure_title(fontSize=14, anchor="start")


def score_vs_compute(frame: pl.DataFrame, score_column: str, score_title: str, title: str) -> alt.Chart:
    """A paper Figure 2/3 style chart: score against training FLOPs (log x), coloured by model type."""
    data = frame.filter(pl.col(score_column).is_not_null() & pl.col("training_flops").is_not_null()).select(
        "model", "model_type", "training_flops", "training_flops_kind", score_column)
    base = alt.Chart(data).encode(
        x=alt.X("training_flops:Q", scale=alt.Scale(type="log"), title="Training compute (FLOP, log scale)",
                axis=alt.Axis(format=".0e")),
        y=alt.Y(f"{score_column}:Q", title=score_title, scale=alt.Scale(domain=[0, 100])),
    )
    points = base.mark_point(size=90, filled=True, opacity=0.9).encode(
        color=alt.Color("model_type:N", title="Model type",
                        scale=alt.Scale(domain=list(MODEL_TYPE_COLOURS), range=list(MODEL_TYPE_COLOURS.values()))),
        shape=alt.Shape("model_type:N", title="Model type", scale=alt.Scale(domain=list(MODEL_TYPE_COLOURS))),
        tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("model_type:N", title="Type"),
                 alt.Tooltip("training_flops:Q", title="Training FLOP", format=".3e"),
                 alt.Tooltip("training_flops_kind:N", title="FLOP kind"),
                 alt.Tooltip(f"{score_column}:Q", title=score_title)],
    )
    labels = base.mark_text(align="left", dx=7, dy=-6, fontSize=10, font=FONT).encode(text="model:N")
    return _theme((points + labels).properties(title=title, width=620, height=380))


def hardware_comparison(frame: pl.DataFrame, title: str) -> alt.Chart:
    """Table 2 as a chart: GPU-hours and tCO2e per workload and accelerator, log scale, MFU range as error bars."""
    data = frame.select("workload", "accelerator", "gpu_hours", "gpu_hours_low", "gpu_hours_high",
                        "tco2e", "tco2e_low", "tco2e_high", "mfu")
    accelerators = sorted(data["accelerator"].unique().to_list())
    colour = alt.Color("accelerator:N", title="Accelerator",
                       scale=alt.Scale(domain=accelerators, range=ACCELERATOR_COLOURS[: len(accelerators)]))

    def panel(measure: str, axis_title: str, axis_format: str) -> alt.LayerChart:
        # A dot per accelerator with the MFU range as a whisker: bars have no baseline on a log axis.
        x_scale = alt.Scale(type="log")
        base = alt.Chart(data).encode(
            y=alt.Y("workload:N", title=None, axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("accelerator:N", sort=accelerators),
            color=colour,
        )
        whiskers = base.mark_rule(strokeWidth=2, opacity=0.7).encode(
            x=alt.X(f"{measure}_low:Q", scale=x_scale, title=axis_title, axis=alt.Axis(format=axis_format)),
            x2=f"{measure}_high:Q",
        )
        dots = base.mark_point(filled=True, size=70, opacity=1).encode(
            x=alt.X(f"{measure}:Q", scale=x_scale),
            tooltip=[alt.Tooltip("workload:N"), alt.Tooltip("accelerator:N"), alt.Tooltip("mfu:Q", title="MFU"),
                     alt.Tooltip(f"{measure}:Q", format=",.4~g"),
                     alt.Tooltip(f"{measure}_low:Q", title="low (MFU high)", format=",.4~g"),
                     alt.Tooltip(f"{measure}_high:Q", title="high (MFU low)", format=",.4~g")],
        )
        return (whiskers + dots).properties(width=340, height=330)

    chart = alt.hconcat(panel("gpu_hours", "GPU-hours (log)", "~s"), panel("tco2e", "tCO2e (log)", "~g")).properties(title=title)
    return _theme(chart)


def export(chart: alt.Chart, stem: Path) -> dict[str, Path]:
    """Write `<stem>.png`, `.svg`, `.html` (self-contained: Vega bundled inline) and `.vl.json`."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    spec = chart.to_dict()
    paths = {kind: stem.with_suffix(f".{kind}") for kind in ("png", "svg", "html")}
    paths["png"].write_bytes(vlc.vegalite_to_png(spec, scale=2))
    paths["svg"].write_text(vlc.vegalite_to_svg(spec))
    paths["html"].write_text(vlc.vegalite_to_html(spec, bundle=True))
    return paths
