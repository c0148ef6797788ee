"""Every adapter on the real third-party files in ../shared/realdata (skipped when that folder is absent)."""

from __future__ import annotations

import pytest

from pipeline.sources import epoch, leaderboards, model_cards
from pipeline.sources.records import Batch
from tests.conftest import realdata


def test_real_model_cards_messy_ones_included():
    frames = model_cards.read_card_folder(realdata("model_cards"), "realdata")
    models = {m["model_name"]: m for m in frames["models"].to_dicts()}
    # Every card names a model, broken YAML (a TAB after `license:`) and no front matter included.
    assert len(models) == len(list(realdata("model_cards").glob("*.md")))
    rejects = {r["record_id"]: r["check_name"] for r in frames["rejects"].to_dicts()}
    assert rejects == {"Madhour__gpt2-eli5.md": "yaml"}
    assert models["unsloth/Qwen3-8B-GGUF"]["base_model"] == "Qwen/Qwen3-8B"  # CRLF line endings
    assert models["meta-llama/Llama-3.1-8B-Instruct"]["base_model"] == "meta-llama/Meta-Llama-3.1-8B"
    assert models["deepseek-ai/DeepSeek-V3"]["license"] is None  # no front matter at all
    # Distillation is decided from names, tags and metadata, and the evidence is recorded.
    assert models["deepseek-ai/DeepSeek-R1-Distill-Llama-8B"]["distilled"]
    assert "name" in models["deepseek-ai/DeepSeek-R1-Distill-Llama-8B"]["distilled_basis"]
    assert not models["deepseek-ai/DeepSeek-V3"]["distilled"]  # its prose mentions distillation, which alone does not decide it
    facts = {(f["model_name"], f["quantity"]): f["value"] for f in frames["facts"].to_dicts()}
    # co2_eq_emissions given as a bare number of grams
    assert facts[("FabsCool/autotrain-T5Base1_1-728922203", "tco2e")] == pytest.approx(583.728921803621 / 1e6)
    # the Hub API response's exact parameter count
    assert facts[("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "params_total")] == 8030261248
    bloomz = frames["benchmarks"].filter(frames["benchmarks"]["model_name"] == "bigscience/bloomz-560m")
    assert bloomz.height > 10 and bloomz["score_pct"].is_between(0, 100).all()


def test_epoch_notable_models_with_multiline_cells_and_cumulative_compute():
    batch = Batch("epoch")
    epoch.read_models(realdata("leaderboards", "epoch__notable_ai_models.sample.csv").read_bytes(), batch)
    frames = batch.frames()
    names = frames["models"]["model_name"].to_list()
    assert "VAETKI" in names  # the cell is "VAETKI\n" in the file
    assert batch.skipped > 0 and frames["models"].height + batch.skipped == 42  # non-language models counted, not lost
    v3 = {f["quantity"]: f for f in frames["facts"].to_dicts() if f["model_name"] == "DeepSeek-V3"}
    assert v3["training_flops"]["value"] == 3.4078e24 and v3["training_flops"]["scope"] == "cumulative"
    assert v3["params_total"]["value"] == 671e9 and v3["gpu_count"]["accelerator"] == "NVIDIA H800 SXM5"
    assert frames["rejects"].height == 0


def test_epoch_models_accepts_renamed_columns():
    csv = b'System,Domain,Parameters,"Training compute (FLOP)","Training dataset size (datapoints)"\nOld-LM,Language,1e9,6e19,1e10\n'
    batch = Batch("epoch_all")
    epoch.read_models(csv, batch)
    facts = {f["quantity"]: f["value"] for f in batch.frames()["facts"].to_dicts()}
    # Epoch's dataset size counts datapoints (words, pairs or samples for some models), so it is not read as tokens
    assert batch.models[0]["model_name"] == "Old-LM" and facts == {"params_total": 1e9, "training_flops": 6e19, "training_datapoints": 1e10}


def test_epoch_benchmark_hub_with_byte_order_mark_and_version_suffixes():
    raw = realdata("leaderboards", "epoch__gpqa_diamond.sample.csv").read_bytes()
    batch = Batch("epoch_gpqa")
    epoch.read_benchmark(b"\xef\xbb\xbf" + raw if not raw.startswith(b"\xef\xbb\xbf") else raw, batch, benchmark="gpqa_diamond")
    frames = batch.frames()
    assert frames["rejects"].height == 0 and frames["benchmarks"].height == 30
    names = set(frames["benchmarks"]["model_name"])
    assert "claude-3-7-sonnet-20250219" in names and not any(n.endswith(("_32K", "_high", "_xhigh")) for n in names)
    scores = frames["benchmarks"]["score_pct"]
    assert scores.min() >= 0 and scores.max() <= 100 and scores.max() > 1  # fractions became percent


def test_open_llm_leaderboard_keeps_its_gpqa_apart_from_gpqa_diamond():
    batch = Batch("oll")
    leaderboards.read_open_llm_leaderboard(
        realdata("leaderboards", "open_llm_leaderboard_v2__huggingface_v2.sample.csv").read_bytes(), batch
    )
    frames = batch.frames()
    benchmarks = set(frames["benchmarks"]["benchmark"])
    assert "open_llm_leaderboard:gpqa" in benchmarks and "gpqa_diamond" not in benchmarks
    assert frames["benchmarks"]["model_name"].n_unique() == 40 and frames["rejects"].height == 0
    assert not (frames["facts"]["quantity"] == "tco2e").any()  # its CO2 cost is the evaluation's, not training's


def test_lm_eval_results_file():
    batch = Batch("lm_eval")
    raw = realdata("leaderboards", "lm_eval__meta-llama__Llama-3.1-8B__results_2025-03-06T22-33-41.820962.json").read_bytes()
    leaderboards.read_lm_eval_results(raw, "results_2025-03-06T22-33-41.820962.json", batch)
    rows = {(b["benchmark"], b["metric"]): b for b in batch.frames()["benchmarks"].to_dicts()}
    assert rows[("lm_eval:winogrande", "acc")]["score_pct"] == pytest.approx(73.4017, abs=1e-3)
    assert rows[("lm_eval:winogrande", "acc")]["model_name"] == "meta-llama/Llama-3.1-8B"
    assert rows[("lm_eval:winogrande", "acc")]["n_questions"] == 1267
    assert rows[("lm_eval:lambada_openai", "perplexity")]["score_pct"] is None  # not a percentage: kept, unscaled


def test_lm_eval_samples_give_pass_at_1_as_the_paper_defines_it():
    name = "Qwen__Qwen3-8B/samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl"
    raw = realdata("leaderboards", "lm_eval__Qwen__Qwen3-8B__samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl").read_bytes()
    batch = Batch("lm_eval")
    leaderboards.read_lm_eval_samples(raw, name, batch, temperature=0.6, top_p=0.95)
    row = batch.frames()["benchmarks"].row(0, named=True)
    import json

    per_doc = [json.loads(line)["acc"] for line in raw.decode().splitlines() if line.strip()]
    assert row["score_pct"] == pytest.approx(100 * sum(per_doc) / len(per_doc))
    assert (row["model_name"], row["n_questions"], row["k"], row["temperature"], row["top_p"]) == ("Qwen/Qwen3-8B", 20, 1, 0.6, 0.95)


def test_pass_at_1_averages_per_question_first():
    # question a: 2 of 4 samples right; question b: 1 of 1 -> (0.5 + 1) / 2, not 3 / 5
    score, questions, k = leaderboards.pass_at_1({"a": [1, 0, 1, 0], "b": [1]})
    assert (score, questions, k) == (0.75, 2, 4)


def test_simple_evals_output():
    batch = Batch("simple_evals")
    leaderboards.read_simple_evals(
        realdata("leaderboards", "simple_evals_output__gpqa_customgpt.json").read_bytes(),
        "gpqa_customgpt.json",
        batch,
        model="customgpt",
        benchmark="gpqa_diamond",
    )
    row = batch.frames()["benchmarks"].row(0, named=True)
    assert (row["model_name"], row["benchmark"], row["score_pct"]) == ("customgpt", "gpqa_diamond", pytest.approx(10.0))
