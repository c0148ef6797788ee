"""Chart pages: the same page vl-convert writes, from a Vega bundle made once, and safe with hostile names."""

from __future__ import annotations

import json
import re

import vl_convert as vlc

from pipeline import charts

SPEC = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "point",
        "data": {"values": [{"model": "Qwen3-8B", "training_flops": 1.728e24}]},
        "encoding": {"x": {"field": "training_flops", "type": "quantitative"}}}


def split_at_spec(page: str) -> tuple[str, str, str]:
    match = re.search(r"const spec = (.*);\n", page)
    return page[:match.start(1)], match.group(1), page[match.end(1):]


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
