"""A user's own catalogue (LEDGER_SOURCES): every model and score lands in the warehouse, what could not
be used is listed with a reason; a live source that turns to garbage leaves the last good data published."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.catalogue import CatalogueError, load_catalogue
from pipeline.paths import PROJECT_ROOT
from tests.conftest import DATA_DIR, paper_rows_reproduced, realdata

pytestmark = pytest.mark.timeout(300)
EXAMPLE = PROJECT_ROOT / "examples" / "sources.realdata.yaml"


def run_all(catalogue, tmp_path, run_config=None):
    from assets.definitions import build_definitions

    defs = build_definitions(catalogue_file=catalogue, data_dir=DATA_DIR, out_dir=tmp_path / "out", state_dir=tmp_path / "state")
    with dg.instance_for_test() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config
        )
        checks = {
            (
                e.asset_check_evaluation_data.asset_key.to_user_string(),
                e.asset_check_evaluation_data.check_name,
            ): e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        }
    return result, checks


def test_catalogue_errors_are_clear(tmp_path):
    bad = tmp_path / "sources.yaml"
    for text, message in [
        ("sources: {}", "top-level `sources:` list"),
        ("sources:\n  - {name: x, kind: nope, path: a}", "kind 'nope'"),
        ("sources:\n  - {name: x, kind: lm_eval}", "needs a `path`"),
        ("sources:\n  - {name: x, kind: lm_eval, path: a}\n  - {name: x, kind: lm_eval, path: b}", "duplicate name"),
        ("sources:\n  - {name: ../evil, kind: lm_eval, path: a}", "lower-case"),
        ("sources: []", "is empty: there is nothing to read"),
        (
            "sources:\n  - {name: x, kind: hf_model_cards, repo_ids: [ok/model, 'not a repo!']}",
            r"source #1 \(x\): `repo_ids` entry 'not a repo!' is not a Hub repo id",
        ),
        ("sources:\n  - {name: x, kind: hf_model_cards, repo_ids: 7}", "must be a list of Hub repo ids"),
        ("sources:\n  - {name: x, kind: lm_eval, url: 'http://example.org/r.json'}", "`url`: refusing http URL"),
        ("sources:\n  - {name: x, kind: lm_eval, url: 'https://u:pw@example.org/r.json'}", "user name or password"),
        ("sources:\n  - {name: x, kind: lm_eval, path: [a, b]}", "`path` must be a string"),
        ("sources:\n  - {name: x, kind: hf_model_cards, path: ../../../../../../proc/self/environ}", "is under /proc, a system location"),
        ("sources:\n  - {name: x, kind: epoch_models, path: /etc/passwd}", "is under /etc"),
        ("sources:\n  - {name: x, kind: hf_model_cards, path: ~/.cache/huggingface}", "hidden folder"),
        ("sources:\n  - {name: x, kind: hf_model_cards, path: '" + str(Path.home()) + "/.ssh'}", "hidden folder ~/.ssh"),
        # every option is one the kind takes, of its type (pipeline/sources/kinds.py)
        (
            "sources:\n  - {name: x, kind: lm_eval, path: a, modle: m}",
            r"option `modle` is not one a lm_eval source takes \(it takes: citation, .*model",
        ),
        ("sources:\n  - {name: x, kind: simple_evals, path: a, model: m}", "option `benchmark` is required"),
        (
            "sources:\n  - {name: x, kind: paper_table, path: a, table: table3}",
            "option `table` must be one of table1, table2, not 'table3'",
        ),
        ("sources:\n  - {name: x, kind: epoch_benchmarks, path: a, benchmark: 5}", "option `benchmark` must be text, not int"),
        ("sources:\n  - {name: x, kind: lm_eval, path: a, temperature: hot}", "option `temperature` must be a number, not str"),
        ("sources:\n  - {name: x, kind: epoch_models, path: a, shrink_guard: 'no'}", "option `shrink_guard` must be true or false"),
        ("sources:\n  - {name: x, kind: lm_eval, path: a, refresh: hourly}", "refresh 'hourly' is not one of daily, weekly, manual"),
    ]:
        bad.write_text(text)
        with pytest.raises(CatalogueError, match=message):
            load_catalogue(bad)


def test_a_catalogue_over_real_files_lands_every_model_and_score(tmp_path):
    realdata()  # skip without ../shared/realdata
    result, checks = run_all(EXAMPLE, tmp_path)
    assert result.success
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
        models = {r[0] for r in con.execute("select model_id from core.models").fetchall()}
        # cards merged with Epoch's and the Hub's records of the same models; new models from Epoch kept
        assert {"deepseek-ai/DeepSeek-V3", "Qwen3-Max", "VAETKI", "unsloth/Qwen3-8B-GGUF", "Madhour/gpt2-eli5"} <= models
        sources = con.execute("select sources from core.models where model_id = 'deepseek-ai/DeepSeek-V3'").fetchall()[0][0]
        assert set(sources.split("|")) == {"embedded_model_cards", "hub_cards", "epoch_notable_models"}
        # every score row read is in core.benchmark_scores, source by source; an unmatched one with no model id,
        # and its name listed in unmatched_models
        read = dict(con.execute("select source_name, count(*) from validated.benchmark_results group by 1").fetchall())
        kept = dict(con.execute("select source_name, count(*) from core.benchmark_scores group by 1").fetchall())
        assert kept == read
        unscored = con.execute("select count(*) from core.benchmark_scores where model_id is null").fetchall()[0][0]
        unmatched = con.execute("select coalesce(sum(rows), 0) from unmatched_models where tables like '%benchmark_results%'").fetchall()[
            0
        ][0]
        assert unscored == unmatched and unmatched > 0
        assert con.execute("select count(*) from unmatched_models where reason is null").fetchall()[0][0] == 0
        # Epoch's GPQA Diamond score for Claude 3.7 Sonnet, found through its versioned name
        epoch = con.execute(
            "select round(score_pct, 1) from core.benchmark_scores where model_id = "
            "'anthropic/claude-3-7-sonnet-20250219' and source_name = 'epoch_gpqa_diamond'"
        ).fetchall()
        assert epoch == [(76.8,)]
        # the Open LLM Leaderboard's GPQA never becomes GPQA Diamond
        assert (
            con.execute(
                "select count(*) from core.benchmark_scores where source_name = 'open_llm_leaderboard' and benchmark_id = 'gpqa_diamond'"
            ).fetchall()[0][0]
            == 0
        )
        # pass@1 from per-sample logs, with k and the question count
        assert con.execute(
            "select score_pct, k, n_questions from core.benchmark_scores where source_name = 'lm_eval_qwen3_8b_samples'"
        ).fetchall() == [(45.0, 1, 20)]
        # the broken card is quarantined with its reason, and its model is still known
        assert (
            con.execute("select reason from quarantine where record_id = 'Madhour__gpt2-eli5.md'")
            .fetchall()[0][0]
            .startswith("front matter")
        )
        # the paper is still reproduced with the extra sources in play
        assert paper_rows_reproduced(con) == 15
    assert not checks[("ops/unmatched_models", "every_name_resolved")].passed


def test_a_live_source_that_turns_to_garbage_leaves_the_last_good_data_published(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_ALLOW_LOOPBACK_HTTP", "1")
    table1 = (DATA_DIR / "paper" / "table1.csv").read_bytes()
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text(f"""sources:
  - {{name: cards, kind: hf_model_cards, path: {DATA_DIR / "model_cards"}}}
  - {{name: live_table1, kind: paper_table, table: table1, url: "{httpserver.url_for("/table1.csv")}", refresh: daily}}
  - {{name: table2, kind: paper_table, table: table2, path: {DATA_DIR / "paper" / "table2.csv"}}}
""")
    httpserver.expect_ordered_request("/table1.csv").respond_with_data(table1, content_type="text/csv")
    first, _ = run_all(catalogue, tmp_path)
    assert first.success
    published = tmp_path / "out" / "warehouse.duckdb"
    query = "select count(*) from model_comparison where scenario = 'paper' and paper_training_flops is not null"
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute(query).fetchall()[0][0] == 16

    header_only = table1.splitlines(keepends=True)[0]
    for garbage in (b"\x00\x01\x02 not a table", b"<html>sign in</html>", header_only):
        httpserver.clear()
        httpserver.expect_request("/table1.csv").respond_with_data(garbage, content_type="text/csv")
        again, checks = run_all(catalogue, tmp_path)
        assert again.success
        with duckdb.connect(str(published), read_only=True) as con:
            assert con.execute(query).fetchall()[0][0] == 16
            history = con.execute("select status from source_snapshots where source_name = 'live_table1' order by fetched_at").fetchall()
        assert checks[("sources/live_table1", "source_read_cleanly")].passed is False
    # valid but empty: the archived version stays, and the warning names the file
    assert "table1.csv: 0 records where its archived version" in checks[("sources/live_table1", "source_read_cleanly")].description
    assert [h[0] for h in history] == ["fetched"] * 4


def test_a_catalogue_of_only_real_third_party_files_runs_green_and_keeps_incomplete_models(tmp_path):
    # The full upstream files and real Hub cards, no embedded card: a score with no compute, compute with no
    # score, no parameter count or no date are the normal case here, and none of them may fail a step.
    realdata()
    result, checks = run_all(PROJECT_ROOT / "examples" / "sources.realdata-only.yaml", tmp_path)
    assert result.success, [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
        counts = con.execute("""select count(*), count(training_flops), count(gpqa_diamond),
                                       count(*) filter (where gpqa_diamond is not null and training_flops is null)
                                from model_comparison where scenario = 'default'""").fetchone()
        assert counts[1] >= 250 and counts[2] >= 100 and counts[3] > 0
        assert con.execute("select count(*) from model_comparison where scenario = 'paper'").fetchone()[0] == 0
        # the paper's Figure 2 has nothing to draw here (no paper card), and says so instead of failing
        assert (tmp_path / "out" / "charts" / "gpqa_vs_compute_chart.png").stat().st_size > 0
        assert "no model has both" in (tmp_path / "out" / "charts" / "gpqa_vs_compute_chart.svg").read_text()
    assert checks[("marts/model_comparison", "one_row_per_scenario_and_model")].passed
