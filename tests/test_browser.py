"""The report and the Dagster UI in a real headless Chromium (Debian's `chromium`, installed when missing),
driven by Playwright. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import duckdb
import httpx
import pytest

from pipeline.paths import PROJECT_ROOT
from tests.conftest import make_run_env

pytestmark = pytest.mark.timeout(600)
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _install_chromium() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium"],
        check=False,
        capture_output=True,
        timeout=900,
        env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
    )


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        _install_chromium()
        path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed and could not be installed here"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    return path


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_report_works_offline_with_every_chart_and_model(pipeline_run, browser):
    report = pipeline_run["out"] / "report" / "index.html"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(report.as_uri(), wait_until="load")
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests  # no network
    figures = page.query_selector_all("figure")
    from assets.outputs import CHART_ASSETS

    assert len(figures) == len(CHART_ASSETS)
    for figure in figures:  # each chart is an SVG with its marks drawn
        assert figure.query_selector("svg") is not None
        assert len(figure.query_selector_all("svg .role-mark path, svg .role-mark line, svg .role-mark text")) > 5
    table = page.locator("table.model-comparison[data-scenario='paper'] tbody tr")
    assert table.count() == 16
    names = {table.nth(i).get_attribute("data-model-id") for i in range(table.count())}
    assert "deepseek-ai/DeepSeek-R1-Distill-Llama-8B" in names and "xai/grok-3" in names
    # sortable: training FLOP descending puts Grok 3 first
    page.locator("table.model-comparison[data-scenario='paper'] th", has_text="Training FLOP").first.click()
    assert page.locator("table.model-comparison[data-scenario='paper'] tbody tr").first.get_attribute("data-model-id") == "xai/grok-3"
    assert page.locator("ol.footnotes li").count() >= 1  # flagged values carry footnotes
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)


def test_the_full_default_table_is_searched_filtered_and_sorted_in_the_browser(pipeline_run, browser):
    # hundreds of models under `default`: a person finds one by name, narrows by type, organisation, year and
    # confidence, and sorts what is left
    report = pipeline_run["out"] / "report" / "index.html"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(report.as_uri(), wait_until="load")
    rows = page.locator("table.model-comparison[data-scenario='default'] tbody tr")
    total = rows.count()
    assert total > 900
    bar = page.locator(".filters[data-for='default']")
    assert bar.locator(".filter-count").inner_text() == f"{total} of {total} models"
    visible = "table.model-comparison[data-scenario='default'] tbody tr:not([hidden])"

    bar.locator(".filter-text").fill("deepseek r1")
    names = page.locator(visible).evaluate_all("rows => rows.map(r => r.getAttribute('data-model-id'))")
    assert "deepseek-ai/DeepSeek-R1" in names and all("r1" in n.lower() for n in names) and len(names) < 40
    page.screenshot(path=str(ARTIFACTS / "report_search.png"))

    bar.locator(".filter-text").fill("")
    bar.locator(".filter-type").select_option("Distilled")
    bar.locator(".filter-costed").check()
    distilled = page.locator(visible).evaluate_all("rows => rows.map(r => [r.dataset.type, r.dataset.costed])")
    assert distilled and all(kind == "Distilled" and costed == "yes" for kind, costed in distilled)
    bar.locator(".filter-type").select_option("")
    bar.locator(".filter-costed").uncheck()

    bar.locator(".filter-org").select_option("Meta AI")
    bar.locator(".filter-year").select_option("2024")
    meta_2024 = page.locator(visible).evaluate_all("rows => rows.map(r => [r.dataset.org, r.dataset.year])")
    assert meta_2024 and all(org == "Meta AI" and year == "2024" for org, year in meta_2024)
    assert bar.locator(".filter-count").inner_text() == f"{len(meta_2024)} of {total} models"
    bar.locator(".filter-org").select_option("")
    bar.locator(".filter-year").select_option("")

    bar.locator(".filter-confidence").select_option("Speculative")
    assert set(page.locator(visible).evaluate_all("rows => rows.map(r => r.dataset.confidence)")) == {"Speculative"}
    # sort what is shown by training compute, largest first
    page.locator("table.model-comparison[data-scenario='default'] th", has_text="Training FLOP").first.click()
    flops = page.locator(visible).evaluate_all("rows => rows.map(r => parseFloat(r.cells[2].getAttribute('data-sort')))")
    assert flops == sorted(flops, reverse=True) and len(flops) > 5
    page.screenshot(path=str(ARTIFACTS / "report_filtered.png"))
    about = page.locator("#about").inner_text()  # the panel: coverage per scenario, each snapshot's date and licence
    assert f"Scenario default: {total} models" in about and "CC BY 4.0" in about and "2026-01-26" in about
    assert errors == []


def wait_for_texts(page, texts: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = page.inner_text("body")
        if all(text in body for text in texts):
            return
        page.wait_for_timeout(500)
    pytest.fail(f"the page never showed all of {texts}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_dagster_ui_shows_the_graph_and_a_chart_image(tmp_path, browser):
    env = make_run_env(tmp_path)
    subprocess.run([sys.executable, "-m", "assets.run"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            pytest.fail("dagster dev did not answer within 180 s")
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{base}/locations/distill_ledger/asset-groups/marts", wait_until="networkidle")
        wait_for_texts(page, ["model_comparison", "hardware_comparison"])
        page.screenshot(path=str(ARTIFACTS / "asset_graph.png"))
        page.goto(f"{base}/locations/distill_ledger/asset-groups/marts/list", wait_until="networkidle")
        wait_for_texts(page, ["model_comparison", "hardware_comparison", "distillation_pairs"])
        page.screenshot(path=str(ARTIFACTS / "asset_list.png"))
        # The widest chart's preview fits inside the Show Markdown modal, legend included.
        page.goto(f"{base}/assets/outputs/hardware_comparison_chart", wait_until="networkidle")
        page.get_by_text("[Show Markdown]").first.click(timeout=60_000)
        image = page.wait_for_selector('[role="dialog"] img[src^="data:image/png"]', timeout=30_000).bounding_box()
        dialog = page.query_selector('[role="dialog"]').bounding_box()
        assert dialog["x"] <= image["x"] and image["x"] + image["width"] <= dialog["x"] + dialog["width"]
        page.screenshot(path=str(ARTIFACTS / "chart_asset.png"))
        page.keyboard.press("Escape")

        # The README's what-if route: Jobs -> refresh_everything -> Launchpad, a config, Launch Run.
        page.goto(f"{base}/locations/distill_ledger/jobs/refresh_everything/playground", wait_until="networkidle")
        page.wait_for_selector(".CodeMirror", timeout=60_000)
        page.evaluate(
            """(config) => document.querySelector('.CodeMirror').CodeMirror.setValue(config)""",
            "ops:\n  what_if_scenario:\n    config: {enabled: true, name: cheap_clean, mfu: 0.5, grid_region: FR}\n",
        )
        page.get_by_role("button", name="Launch Run").click(timeout=60_000)
        page.wait_for_url("**/runs/**", timeout=60_000)
        deadline, scenarios = time.monotonic() + 420, set()
        while time.monotonic() < deadline and "cheap_clean" not in scenarios:
            time.sleep(3)
            try:
                with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
                    scenarios = {r[0] for r in con.execute("select distinct scenario from model_comparison").fetchall()}
            except duckdb.Error:  # the publish step is swapping the file in
                pass
        page.screenshot(path=str(ARTIFACTS / "what_if_run.png"))
        assert scenarios == {"paper", "default", "cheap_clean"}
    finally:
        os.killpg(server.pid, 15)
        try:  # the UI and its code servers stop on SIGTERM; whatever has not within two minutes is killed, not left
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait(timeout=30)
