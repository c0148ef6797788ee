"""Chart pages: the same page vl-convert writes, from a Vega bundle made once, and safe with hostile names."""

from __future__ import annotations

import html
import json
import re

import polars as pl
import vl_convert as vlc

from pipeline import charts

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "mark": "point",
    "data": {"values": [{"model": "Qwen3-8B", "training_flops": 1.728e24}]},
    "encoding": {"x": {"field": "training_flops", "type": "quantitative"}},
}


def split_at_spec(page: str) -> tuple[str, str, str]:
    match = re.search(r"const spec = (.*);\n", page)
    return page[: match.start(1)], match.group(1), page[match.end(1) :]


def test_the_page_is_the_one_vl_convert_writes_and_the_bundle_is_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(charts, "_html_shells", {})
    monkeypatch.setattr(charts, "INSTALL_CACHE", tmp_path / "no-install-cache")
    ours, theirs = split_at_spec(charts.offline_html(SPEC, tmp_path)), split_at_spec(vlc.vegalite_to_html(SPEC, bundle=True))
    assert ours[0] == theirs[0] and ours[2] == theirs[2]  # the bundle and page around the spec, byte for byte
    assert json.loads(ours[1]) == json.loads(theirs[1]) == SPEC  # the spec (Rust and Python write 1.728e24 differently)
    assert len(list(tmp_path.glob("vega-html-shell-*.json"))) == 1
    # A new process (empty memory) reads the cached bundle instead of bundling again.
    monkeypatch.setattr(charts, "_html_shells", {})

    def bundle_again(*_args, **_kwargs):
        raise AssertionError("bundled again")

    monkeypatch.setattr(vlc, "vegalite_to_html", bundle_again)
    assert "Qwen3-8B" in charts.offline_html(SPEC, tmp_path)


def test_a_model_name_cannot_close_the_script_that_holds_the_spec():
    name = "</script><script>alert(1)</script>&\u2028"
    page = charts.offline_html({**SPEC, "data": {"values": [{"model": name, "training_flops": 1.0}]}})
    _, spec_json, _ = split_at_spec(page)
    assert "<" not in spec_json and ">" not in spec_json and "\u2028" not in spec_json
    assert json.loads(spec_json)["data"]["values"][0]["model"] == name  # the browser reads back the same name


def test_the_bundle_prepared_at_install_serves_a_new_state_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(charts, "INSTALL_CACHE", tmp_path / "install")
    charts.prepare_install_cache()
    monkeypatch.setattr(charts, "_html_shells", {})

    def bundle_again(*_args, **_kwargs):
        raise AssertionError("bundled again")

    monkeypatch.setattr(vlc, "vegalite_to_html", bundle_again)
    state_cache = tmp_path / "state" / "cache"
    assert "Qwen3-8B" in charts.offline_html(SPEC, state_cache)
    assert not state_cache.exists()  # nothing bundled or written for the new state folder


def _svg_texts(chart) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<(?:text|tspan)[^>]*>([^<]+)<", vlc.vegalite_to_svg(chart.to_dict()))]


def _svg_width(chart) -> float:
    return float(re.search(r'<svg[^>]* width="([\d.]+)"', vlc.vegalite_to_svg(chart.to_dict())).group(1))


def test_the_hardware_chart_labels_one_tick_per_decade_and_fits_a_modal():
    rows = [
        {
            "workload": w,
            "accelerator": a,
            "gpu_hours": h,
            "gpu_hours_low": h * 0.8,
            "gpu_hours_high": h * 1.3,
            "tco2e": h * 3e-4,
            "tco2e_low": h * 2.4e-4,
            "tco2e_high": h * 4e-4,
            "mfu": 0.4,
        }
        for w, base in [("Distillation", 250.0), ("Training", 1.4e6)]
        for a, h in [("A100", base * 4), ("H100", base)]
    ]
    chart = charts.hardware_comparison(pl.DataFrame(rows), "t")
    texts = _svg_texts(chart)
    assert "10k" in texts and "20k" not in texts and "2" not in texts  # no 2s and 5s between decades to collide
    assert chart.to_dict()["config"]["legend"]["symbolOpacity"] == 1  # swatches as solid as the points
    assert texts.count("Distillation") == 1  # the second panel does not repeat the workloads
    assert _svg_width(chart) < 1000


def test_the_distillation_pairs_axis_ends_at_the_data_and_the_multipliers_sit_under_the_names():
    frame = pl.DataFrame(
        [
            {
                "student": "S-8B",
                "vanilla": "V-8B",
                "vanilla_training_flops": 7.5e23,
                "student_marginal_flops": 8.4e20,
                "student_lineage_flops": 7.508e23,
                "marginal_multiplier": 893.0,
                "lineage_multiplier": 0.99895,
            }
        ]
    )
    spec = charts.distillation_pairs(frame, "t").to_dict()
    domains = [layer["encoding"]["x"]["scale"]["domain"] for layer in spec["layer"] if "scale" in layer["encoding"]["x"]]
    assert domains and all(d == [1e20, 1e24] for d in domains)
    texts = _svg_texts(charts.distillation_pairs(frame, "t"))
    assert "S-8B vs V-8B" in texts and "paper: 893× less · lineage: 1.0011× more" in texts


def test_the_gain_chart_says_points_and_spans_its_students():
    frame = pl.DataFrame(
        [
            {"student": "S-8B", "student_params": 8e9, "gpqa_diamond_gain": 18.7, "aime_2024_gain": 40.2},
            {"student": "S-70B", "student_params": 70e9, "gpqa_diamond_gain": 8.3, "aime_2024_gain": None},
        ]
    )
    spec = charts.distillation_gain(frame, "t").to_dict()
    assert "percentage points" in " ".join(spec["title"]["subtitle"])
    domain = [layer for layer in spec["layer"] if layer["mark"]["type"] == "point"][0]["encoding"]["x"]["scale"]["domain"]
    assert domain == [4.0, 140.0]


def test_charts_with_nothing_to_draw_still_render():
    pairs = pl.DataFrame(
        schema={
            "student": pl.Utf8,
            "vanilla": pl.Utf8,
            "vanilla_training_flops": pl.Float64,
            "student_marginal_flops": pl.Float64,
            "student_lineage_flops": pl.Float64,
            "marginal_multiplier": pl.Float64,
            "lineage_multiplier": pl.Float64,
        }
    )
    hardware = pl.DataFrame(
        schema={
            c: pl.Utf8 if c in ("workload", "accelerator") else pl.Float64
            for c in ("workload", "accelerator", "gpu_hours", "gpu_hours_low", "gpu_hours_high", "tco2e", "tco2e_low", "tco2e_high", "mfu")
        }
    )
    gain = pl.DataFrame(
        schema={"student": pl.Utf8, "student_params": pl.Float64, "gpqa_diamond_gain": pl.Float64, "aime_2024_gain": pl.Float64}
    )
    for chart in (charts.distillation_pairs(pairs, "t"), charts.hardware_comparison(hardware, "t"), charts.distillation_gain(gain, "t")):
        assert vlc.vegalite_to_svg(chart.to_dict()).startswith("<svg")
