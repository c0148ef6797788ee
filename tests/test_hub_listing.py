"""The Hub listing source against a loopback server answering `/api/models` as the Hub does: pages, cursor,
resumption, faults, filters, tokens, and the parse of what landed."""

from __future__ import annotations

import json
import typing
from datetime import timedelta

import polars as pl
import pytest
from huggingface_hub.hf_api import ExpandModelProperty_T

from bench.hub_server import EPOCH, FakeHub, hub_item
from pipeline.sources import hub_listing
from pipeline.sources.hub_listing import EXPAND, HubQuery, Landing, crawl, parse_landed_page, read_listing_chunk
from pipeline.sources.model_cards import parse_hub_item
from pipeline.sources.records import Batch
from tests.conftest import realdata

QUICK = {"backoff": 0, "timeout": 5.0, "allow_loopback": True}


def _crawl(hub: FakeHub, root, query: HubQuery | None = None, **kwargs) -> hub_listing.CrawlReport:
    return crawl("hub", query or HubQuery(), root, endpoint=hub.base_url, headers={}, **(QUICK | kwargs))


def _current(landing: Landing) -> tuple[pl.DataFrame, str]:
    """Parse what landed (in this process), then the source's model records and their version."""
    for page in landing.unparsed():
        parse_landed_page(str(page), str(landing.parsed_folder(page)), "hub")
    records, version, models = landing.records()
    frame = records.get("models", pl.DataFrame({"model_name": []}))
    assert frame.height == models
    return frame, version


def _pages_asked(hub: FakeHub) -> list[int]:
    return [hub.page(r["query"])[2] for r in hub.requests]


def test_the_fields_asked_for_are_huggingface_hubs_own():
    assert set(EXPAND) <= set(typing.get_args(ExpandModelProperty_T))


def test_the_query_says_the_filter_in_list_models_spelling():
    query = HubQuery.from_options({"filter": {"tags": ["distillation"], "author": "deepseek-ai", "base_model": "Qwen/Qwen2.5-7B"}})
    params = query.params()
    assert ("filter", "distillation") in params and ("filter", "base_model:Qwen/Qwen2.5-7B") in params
    assert ("author", "deepseek-ai") in params and ("sort", "lastModified") in params
    assert [v for k, v in params if k == "expand"] == list(EXPAND)
    assert HubQuery.from_options({"filter": {"tags": "distillation"}}).tags == ("distillation",)
    assert query.key != HubQuery().key  # another filter lands apart, with a cursor of its own
    assert HubQuery(limit=5).key == HubQuery().key  # a limit is how much of the same listing


def test_a_crawl_lands_every_page_then_a_second_asks_only_for_what_changed(tmp_path):
    items = [hub_item(i) for i in range(2500)]
    with FakeHub(items) as hub:
        first = _crawl(hub, tmp_path)
        assert (first.pages, first.models, first.finished, first.error) == (3, 2500, True, None)
        landing = Landing(tmp_path, "hub", HubQuery())
        assert len(landing.pages()) == 3 and all("crawl_date=" in p.parent.name for p in landing.pages())
        assert _current(landing)[0].height == 2500
        assert landing.state()["cursor"] == items[0]["lastModified"]

        changed = hub_item(1234, changed=EPOCH + timedelta(hours=1))
        changed["cardData"]["license"] = "mit"
        items[1234] = changed
        hub.requests.clear()
        second = _crawl(hub, tmp_path)
        assert len(hub.requests) == 1  # one page: everything after the first model older than the cursor is known
        assert second.finished and second.models == 2  # the changed model, and the one at the cursor itself
        listing, version = _current(landing)
        assert listing.height == 2500
        row = listing.filter(pl.col("model_name") == changed["id"]).row(0, named=True)
        assert row["license"] == "mit" and row["as_of"] == changed["lastModified"][:10]
        assert len(landing.unparsed()) == 0 and len(landing.pages()) == 4  # the refresh parsed its one page only
        assert landing.state()["cursor"] == changed["lastModified"]

        hub.requests.clear()
        third = _crawl(hub, tmp_path)  # nothing changed: one page asked, the same listing
        assert len(hub.requests) == 1 and third.finished
        again, same_version = _current(landing)
        assert again.equals(listing)
        assert same_version != version  # the model at the cursor landed again: a new landing, the same records


def test_429_500_and_a_connection_dropped_mid_page_are_retried(tmp_path):
    with FakeHub([hub_item(i) for i in range(2500)]) as hub:
        hub.fail(page=1, status=500)
        hub.fail(page=2, status=429, retry_after="0")
        hub.drop(page=3)
        report = _crawl(hub, tmp_path)
        assert report.finished and report.error is None and report.models == 2500
        assert _pages_asked(hub) == [1, 1, 2, 2, 3, 3]
        assert [f.status for f in report.fetches] == ["fetched"] * 3


def test_an_interrupted_crawl_goes_on_from_its_last_landed_page(tmp_path):
    with FakeHub([hub_item(i) for i in range(3500)]) as hub:
        hub.fail(page=3, status=500, times=99)
        stopped = _crawl(hub, tmp_path, retries=1)
        assert not stopped.finished and "page 3" in stopped.error and stopped.pages == 2
        landing = Landing(tmp_path, "hub", HubQuery())
        assert _current(landing)[0].height == 2000 and landing.state()["crawl"]["next_url"]
        assert landing.state()["cursor"] is None  # no cursor until a crawl is whole

        hub.faults.clear()
        hub.requests.clear()
        resumed = _crawl(hub, tmp_path)
        assert resumed.resumed and resumed.finished
        assert _pages_asked(hub) == [3, 4]  # pages 1 and 2 are not asked for again
        assert _current(landing)[0].height == 3500 and landing.state()["crawl"] is None


def test_a_crash_between_two_pages_loses_no_landed_page(tmp_path):
    with FakeHub([hub_item(i) for i in range(2500)]) as hub:
        _crawl(hub, tmp_path, max_pages=1)  # the run ends after its first page, as a killed one would
        landing = Landing(tmp_path, "hub", HubQuery())
        assert len(landing.pages()) == 1 and landing.state()["crawl"]["pages"] == 1
        assert not list(landing.folder.rglob("*.tmp"))
        hub.requests.clear()
        assert _crawl(hub, tmp_path).finished and _pages_asked(hub) == [2, 3]


def test_the_filter_and_the_limit_are_the_catalogues(tmp_path):
    with FakeHub([hub_item(i) for i in range(2500)]) as hub:
        report = _crawl(hub, tmp_path, query=HubQuery(tags=("distillation",)))
        assert report.models == 250 and hub.requests[0]["query"].count(("filter", "distillation")) == 1
        limited = _crawl(hub, tmp_path / "limited", query=HubQuery(limit=1200))
        assert limited.models == 1200 and limited.finished and len(hub.requests) == 3


def test_a_next_page_on_another_host_is_not_followed(tmp_path):
    """The token goes with every page: a Link to another host ends the crawl rather than carry it there."""
    with FakeHub([hub_item(i) for i in range(1500)]) as hub:
        elsewhere = hub.base_url.replace("127.0.0.1", "localhost")
        report = crawl("hub", HubQuery(), tmp_path, endpoint=elsewhere, headers={"authorization": "Bearer x"}, **QUICK)
        assert report.pages == 1 and "another host" in report.error
        assert len(hub.requests) == 1


def test_hf_endpoint_and_hf_token_are_honoured_and_the_token_is_kept_nowhere(tmp_path, monkeypatch):
    with FakeHub([hub_item(i) for i in range(1500)]) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.base_url)
        monkeypatch.setenv("HF_TOKEN", "hf_loopbacktoken123")
        report = crawl("hub", HubQuery(), tmp_path, **QUICK)
        assert report.finished and hub.authorizations == ["Bearer hf_loopbacktoken123"] * 2
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert b"hf_loopbacktoken123" not in path.read_bytes(), path
        assert all("hf_loopbacktoken123" not in f.url for f in report.fetches)


def test_the_landed_listing_parses_into_models_parameters_and_bases(tmp_path):
    with FakeHub([hub_item(i) for i in range(30)]) as hub:
        _crawl(hub, tmp_path)
    landing = Landing(tmp_path, "hub", HubQuery())
    assert [parse_landed_page(str(p), str(landing.parsed_folder(p)), "hub") for p in landing.unparsed()] == [30]
    frames, version, models = landing.records()
    assert models == 30 and frames["rejects"].height == 0 and landing.records()[1] == version
    models = frames["models"]
    assert models.height == 30
    distilled = models.filter(pl.col("model_name") == "org0/model-0").row(0, named=True)
    assert distilled["distilled"] and distilled["base_model"] == "org0/base-0" and distilled["as_of"] == "2026-11-01"
    params = frames["facts"].filter(pl.col("quantity") == "params_total")
    assert params.height == 30 and params.filter(pl.col("model_name") == "org5/model-5")["value"].item() == 6e9


def test_a_damaged_chunk_or_item_is_quarantined_not_raised():
    batch = Batch("hub")
    read_listing_chunk(b"not parquet", "listing-00001.parquet", batch)
    parse_hub_item(b'{"cardData": {}}', "x", batch)
    parse_hub_item(b'{"id": "a/b", "cardData": "text", "tags": 3}', "a/b", batch)
    checks = [r["check_name"] for r in batch.rejects]
    assert checks == ["format", "hub_api", "hub_api"]
    assert batch.frames()["models"]["model_name"].to_list() == ["a/b"]


def test_a_real_hub_api_response_reads_as_a_listing_item():
    path = realdata("model_cards", "hf_api_json", "deepseek-ai__DeepSeek-R1-Distill-Llama-8B.model.json")
    raw = path.read_bytes()
    assert set(hub_item(0)) - {"baseModels"} <= set(json.loads(raw))  # the generated items keep the real shape
    batch = Batch("hub")
    parse_hub_item(raw, "deepseek-ai/DeepSeek-R1-Distill-Llama-8B", batch)
    frames = batch.frames()
    assert frames["models"]["model_name"].to_list() == ["deepseek-ai/DeepSeek-R1-Distill-Llama-8B"]
    assert frames["facts"].filter(pl.col("quantity") == "params_total")["value"].to_list() == [8030261248.0]


@pytest.mark.parametrize(
    "doc, problem",
    [
        ({"filter": {"tag": ["x"]}}, "has `tag`"),
        ({"filter": {"limit": "ten"}}, "`limit` must be a number"),
        ({"filter": ["distillation"]}, "must be a mapping"),
    ],
)
def test_a_filter_the_listing_cannot_take_is_refused_at_load(doc, problem):
    from pipeline.sources.kinds import kind_of

    problems = kind_of("hf_hub").check_options(doc)
    assert problems and problem in problems[0]


def test_a_catalogue_entry_lists_lands_parses_and_costs_and_a_second_run_asks_only_for_what_changed(tmp_path):
    """`{kind: hf_hub, filter: {tags: [distillation]}}` through `make run`'s command, twice, against the loopback Hub."""
    import subprocess
    import sys

    import duckdb

    from pipeline.paths import PROJECT_ROOT
    from tests.conftest import make_run_env

    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text("sources:\n  - {name: hub_distilled, kind: hf_hub, filter: {tags: [distillation]}}\n")
    items = [hub_item(i) for i in range(3000)]
    env = make_run_env(tmp_path, catalogue) | {"HF_ENDPOINT": "http://127.0.0.1:9", "LEDGER_ALLOW_LOOPBACK_HTTP": "1"}

    def run() -> str:
        done = subprocess.run([sys.executable, "-m", "assets.run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    # the Hub out of reach on the first run: the only source reads nothing, and the run still ends, saying so
    assert "crawl stopped after 0 pages" in run()
    with FakeHub(items) as hub:
        env["HF_ENDPOINT"] = hub.base_url
        run()
        assert len(hub.requests) == 1 and ("filter", "distillation") in hub.requests[0]["query"]  # 300 models: one page
        with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
            listed = con.sql("select count(*) from raw.models where source_name = 'hub_distilled'").fetchall()[0][0]
            compared = con.sql(
                "select count(*), count(training_flops), count(gpu_hours), count(tco2e) from model_comparison "
                "where scenario = 'default'"  # the catalogue has no other source
            ).fetchall()[0]
            pages = con.sql(
                "select count(*) from ops.source_snapshots where source_name = 'hub_distilled' and status = 'fetched'"
            ).fetchall()[0][0]
        assert listed == 300 and pages == 1
        assert compared[0] == 300  # every listed model is in the comparison table
        assert compared[1] == compared[2] == 30  # the cards that give their training tokens are costed
        assert compared[3] >= 30  # and those that report their emissions say so

        items[10] = hub_item(10, changed=EPOCH + timedelta(hours=2))
        items[10]["safetensors"] = {"parameters": {"BF16": 99_000_000_000}, "total": 99_000_000_000}
        hub.requests.clear()
        run()
        assert len(hub.requests) == 1  # only the changed model's page, which the cursor ends
        with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
            value = con.sql(
                "select value from raw.model_facts where source_name = 'hub_distilled' and quantity = 'params_total' "
                "and model_name = 'org10/model-10'"
            ).fetchall()[0][0]
        assert value == 99e9
