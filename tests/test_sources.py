"""Source adapters: the embedded cards and tables, and real third-party cards (skipped without ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.sources import model_cards, paper_table, reference
from pipeline.sources.records import Batch
from tests.conftest import DATA_DIR, examples


def test_every_embedded_card_parses_with_facts_and_both_benchmarks():
    frames = model_cards.read_card_folder(DATA_DIR / "model_cards", "embedded")
    assert frames["rejects"].height == 0
    assert frames["models"].height == 16
    assert frames["models"]["model_name"].n_unique() == 16
    per_model = frames["benchmarks"].group_by("model_name").len()
    assert per_model["len"].to_list() == [2] * 16
    assert frames["facts"].filter(frames["facts"]["url"].is_null()).height == 0


def test_card_front_matter_keeps_base_model_and_teacher():
    cards = model_cards.read_card_folder(DATA_DIR / "model_cards", "embedded")["models"]
    row = cards.filter(cards["model_name"] == "deepseek-ai/DeepSeek-R1-Distill-Llama-8B").to_dicts()[0]
    assert row["base_model"] == "meta-llama/Llama-3.1-8B"
    assert row["teacher"] == "deepseek-ai/DeepSeek-R1"
    assert row["method"] == "distillation"
    assert row["distilled"] and row["distilled_basis"] == "ledger.method = distillation"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("4.67M", (4.67e6, 3)),
        ("0.43", (0.43, 2)),
        ("7.49E+23", (7.49e23, 3)),
        ("2.01E-01", (0.201, 3)),
        ("730.0", (730.0, 4)),
        ("2040", (2040.0, 3)),
        ("10", (10.0, 1)),
        ("1,052.6", (1052.6, 5)),
        ("n/a", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_printed_numbers_parse_with_their_precision(text, expected):
    assert paper_table.parse_printed_number(text) == expected


@settings(max_examples=examples(500), deadline=None)
@given(st.text(max_size=40))
def test_printed_number_parser_never_raises(text):
    value, digits = paper_table.parse_printed_number(text)
    assert (value is None) == (digits is None)


def test_paper_table1_has_sixteen_rows_as_printed():
    rows = paper_table.read_table1((DATA_DIR / "paper" / "table1.csv").read_bytes(), "t1")["rows"]
    assert rows.height == 16
    first = rows.row(0, named=True)
    assert (first["model_name"], first["training_flops_printed"], first["gpu_hours_h100"]) == ("Llama 3.1 8B", "7.49E+23", 1.46e6)


def test_paper_table2_is_nine_cells():
    frames = paper_table.read_table2((DATA_DIR / "paper" / "table2.csv").read_bytes(), "t2")
    assert frames["rows"].height == 9 and frames["rejects"].height == 0


def test_reference_tables_cover_the_required_accelerators_and_scenarios():
    accelerators = reference.read_accelerators(DATA_DIR / "reference" / "accelerators.csv")
    peaks = dict(accelerators.select("accelerator_id", "peak_bf16_dense_tflops").iter_rows())
    assert peaks == {"a100_sxm_80gb": 312, "l40s": 362.05, "h100_sxm": 989.4, "h200_sxm": 989.5, "b200": 2250, "mi300x": 1307.4}
    assert accelerators["datasheet_url"].str.starts_with("https://").all()
    scenarios = reference.read_scenarios(DATA_DIR / "reference" / "scenarios.yaml")
    assert set(scenarios["scenarios"]["scenario"]) >= {"paper", "default"}


def test_unreadable_cards_become_quarantine_rows_not_crashes():
    batch = Batch("s")
    model_cards.parse_card(b"\xff\xfe\x00binary", "binary.md", batch)
    model_cards.parse_card(b"\xff\xfebinary", "latin.md", batch)
    model_cards.parse_card(b"---\nlicense:\t gpl\n---\nbody", "org__tab.md", batch)
    model_cards.parse_card(b"x" * (model_cards.MAX_CARD_BYTES + 1), "huge.md", batch)
    model_cards.parse_card(b"# no front matter at all\n", "org__plain.md", batch)
    reasons = {row["record_id"]: row["check_name"] for row in batch.rejects}
    assert reasons == {"binary.md": "binary", "latin.md": "utf8", "org__tab.md": "yaml", "huge.md": "size_cap"}
    # a card with broken or no front matter still names a model (from its file name)
    assert sorted(m["model_name"] for m in batch.models) == ["org/plain", "org/tab"]


@pytest.mark.parametrize(
    "folder",
    [DATA_DIR / "model_cards", Path(__file__).parent / "hostile" / "cards", DATA_DIR.parent.parent / "shared" / "realdata" / "model_cards"],
)
def test_the_fast_card_loader_gives_the_same_results_as_huggingface_hub(folder):
    if not folder.exists():
        pytest.skip(f"{folder} is absent")
    fast = model_cards.read_card_folder(folder, "s", loader="fast")
    hub = model_cards.read_card_folder(folder, "s", loader="hub")
    for frame in ("models", "facts", "benchmarks"):
        assert fast[frame].equals(hub[frame]), frame
    # the same records rejected for the same checks (libyaml words its error messages differently)
    assert fast["rejects"].select("record_id", "check_name").equals(hub["rejects"].select("record_id", "check_name"))


def _generated_card_files(folder, count: int) -> list[tuple[str, bytes]]:
    """`count` of the bench's generated cards (a tenth of them messy) as (name, bytes), in name order."""
    from bench.generate import write_cards

    return sorted((p.name, p.read_bytes()) for p in write_cards(folder / "cards", count).iterdir())


def test_cards_parsed_on_two_cores_give_the_same_records_in_the_same_order(tmp_path):
    count = model_cards.PARALLEL_MIN_CARDS + 37  # past the threshold, and not a multiple of the worker count
    files = _generated_card_files(tmp_path, count)
    one, two = Batch("s"), Batch("s")
    model_cards.read_card_files(files, one, workers=1)
    model_cards.read_card_files(files, two, workers=2)
    assert len(one.models) == len(two.models) == count  # messy cards (no front matter, CRLF, a TAB) still yield a model
    assert len(one.rejects) == len(two.rejects) > 0
    for name, frame in one.frames().items():
        assert frame.equals(two.frames()[name]), name


def test_a_card_score_citing_a_paper_is_published_and_any_other_is_the_cards_own():
    from pipeline.sources.model_cards import score_kind

    assert score_kind("https://arxiv.org/abs/2602.20164") == "published"
    assert score_kind("https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard") == "reported"
    assert score_kind(None) == "reported"
    benchmarks = model_cards.read_card_folder(DATA_DIR / "model_cards", "embedded")["benchmarks"]
    assert set(benchmarks["kind"]) == {"published"}  # the embedded cards carry the paper's Table 1 scores


def test_lm_eval_v03_results_with_bare_metric_names_are_read():
    from pipeline.sources import leaderboards

    doc = {
        "results": {
            "hellaswag": {"acc": 0.57, "acc_stderr": 0.005, "acc_norm": 0.75, "acc_norm_stderr": 0.004},
            "wikitext": {"word_perplexity": 9.1, "byte_perplexity": 1.5},
        },
        "versions": {"hellaswag": 0, "wikitext": 1},
        "config": {"model": "hf-causal", "model_args": "pretrained=EleutherAI/pythia-1b", "num_fewshot": 0},
    }
    batch = Batch("lm")
    leaderboards.read_lm_eval_results(__import__("json").dumps(doc).encode(), "results.json", batch)
    rows = {(b["benchmark"], b["metric"]): b for b in batch.benchmarks}
    assert set(rows) == {
        ("lm_eval:hellaswag", "acc"),
        ("lm_eval:hellaswag", "acc_norm"),
        ("lm_eval:wikitext", "word_perplexity"),
        ("lm_eval:wikitext", "byte_perplexity"),
    }
    assert (
        rows[("lm_eval:hellaswag", "acc")]["score_pct"] == pytest.approx(57.0)
        and rows[("lm_eval:hellaswag", "acc")]["model_name"] == "EleutherAI/pythia-1b"
    )
    assert rows[("lm_eval:wikitext", "word_perplexity")]["score_pct"] is None  # a perplexity is no percent


def test_a_card_perplexity_is_kept_unscaled_and_an_open_llm_v1_table_is_refused_not_read_as_empty():
    from pipeline.sources import leaderboards

    card = (
        "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-generation}\n    dataset: {name: WikiText, type: wikitext}\n"
        "    metrics:\n    - {type: perplexity, value: 25.3}\n    - {type: accuracy, value: 0.61}\n---\nbody\n"
    )
    batch = Batch("cards")
    model_cards.parse_card(card.encode(), "org__m.md", batch)
    scales = {b["metric"]: (b["scale"], b["score_pct"]) for b in batch.benchmarks}
    assert scales == {"perplexity": ("other", None), "accuracy": ("fraction", 61.0)}
    batch = Batch("oll")
    leaderboards.read_open_llm_leaderboard(b"eval_name,Model,ARC,HellaSwag,MMLU\nx,org/m,60.1,80.2,55.0\n", batch)
    assert not batch.benchmarks and batch.rejects and "not a v2 contents table" in batch.rejects[0]["reason"]


def test_a_ragged_row_costs_that_row_not_its_file():
    from pipeline.sources import epoch, paper_table
    from pipeline.sources.tabular import RAGGED_ROW

    header = "Model version,Best score (across scorers),Release date,Organization,Country\n"
    rows = [
        "m-1,0.5,2025-01-01,Org,US\n",
        'm-2,0.6,2025-01-02,"Org, Inc",US,extra,cells\n',
        "m-3,0.7,2025-01-03,Org,US,,\n",
        '"m-4\nsecond line",0.8,2025-01-04,Org,US\n',
    ]
    batch = Batch("s")
    epoch.read_benchmark((header + "".join(rows)).encode(), batch, benchmark="GPQA diamond")
    assert [b["model_name"] for b in batch.benchmarks] == ["m-1", "m-3", "m-4\nsecond line"]  # a trailing comma is harmless
    [reject] = batch.rejects
    assert reject["check_name"] == RAGGED_ROW and reject["record_id"] == "line 3" and "7 cells" in reject["reason"]
    table = (DATA_DIR / "paper" / "table1.csv").read_text().splitlines(keepends=True)
    broken = "".join(table[:2] + [table[2].rstrip("\n") + ",1,2\n"] + table[3:]).encode()
    read = paper_table.read_table1(broken, "paper")
    assert read["rows"].height == len(table) - 2
    assert read["rejects"]["check_name"].to_list() == [RAGGED_ROW]
