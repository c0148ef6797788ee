"""Entity resolution: one canonical id per model across sources; nothing unmatched is dropped."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.resolution import candidate_keys, name_key, resolve
from pipeline.sources.records import MODEL_COLUMNS


def records(rows):
    return pl.DataFrame([{c: r.get(c) for c in MODEL_COLUMNS} for r in rows], schema=MODEL_COLUMNS)


def mentions(rows):
    return pl.DataFrame([{"source_name": s, "model_name": n, "tables": "benchmark_results", "rows": 1} for s, n in rows],
                        schema={"source_name": pl.Utf8, "model_name": pl.Utf8, "tables": pl.Utf8, "rows": pl.Int64})


ALIASES = pl.DataFrame({"alias": ["Qwen/Qwen3-8B-Base"], "model_id": ["Qwen/Qwen3-8B"]})


def test_records_merge_across_sources_in_catalogue_order():
    result = resolve(records([
        {"source_name": "cards", "model_name": "deepseek-ai/DeepSeek-V3", "ledger_id": "deepseek-ai/DeepSeek-V3",
         "aliases": "DeepSeek-V3|Deepseek V3"},
        {"source_name": "epoch", "model_name": "DeepSeek-V3"},
        {"source_name": "epoch", "model_name": "Qwen3-Max"},
        {"source_name": "cards", "model_name": "Qwen/Qwen3-8B", "ledger_id": "Qwen/Qwen3-8B"},
        {"source_name": "hub", "model_name": "unsloth/Qwen3-8B-GGUF", "hub_id": "unsloth/Qwen3-8B-GGUF", "base_model": "Qwen/Qwen3-8B-Base"},
    ]), mentions([("epoch_gpqa", "claude-3-7-sonnet-20250219"), ("epoch_gpqa", "DeepSeek-V3"), ("paper", "Deepseek V3")]),
        ALIASES, ["cards", "epoch", "hub", "epoch_gpqa", "paper"])
    resolution = {(s, n): m for s, n, m, _, _ in result["resolution"].iter_rows()}
    assert resolution[("epoch", "DeepSeek-V3")] == "deepseek-ai/DeepSeek-V3"
    assert resolution[("epoch_gpqa", "DeepSeek-V3")] == "deepseek-ai/DeepSeek-V3"
    assert resolution[("paper", "Deepseek V3")] == "deepseek-ai/DeepSeek-V3"
    assert resolution[("epoch", "Qwen3-Max")] == "Qwen3-Max"  # a new model, named as Epoch names it
    models = {r["model_id"]: r for r in result["models"].to_dicts()}
    assert models["deepseek-ai/DeepSeek-V3"]["sources"] == "cards|epoch"
    assert models["unsloth/Qwen3-8B-GGUF"]["base_model_id"] == "Qwen/Qwen3-8B"  # through the alias table
    unmatched = result["unmatched"].to_dicts()
    assert [u["model_name"] for u in unmatched] == ["claude-3-7-sonnet-20250219"]


def test_run_suffixes_are_stripped_when_matching_benchmark_versions():
    result = resolve(records([{"source_name": "cards", "model_name": "anthropic/claude-3-7-sonnet-20250219",
                               "ledger_id": "anthropic/claude-3-7-sonnet-20250219"}]),
                     mentions([("epoch", "claude-3-7-sonnet-20250219_32K"), ("epoch", "o1-2024-12-17_high")]),
                     ALIASES, ["cards", "epoch"])
    resolution = {n: m for _, n, m, _, _ in result["resolution"].iter_rows()}
    assert resolution["claude-3-7-sonnet-20250219_32K"] == "anthropic/claude-3-7-sonnet-20250219"
    assert [u["model_name"] for u in result["unmatched"].to_dicts()] == ["o1-2024-12-17_high"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_keys_are_lowercase_alphanumeric_and_never_raise(name):
    for key in candidate_keys(name):
        assert key == name_key(key) and key


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), max_size=15))
def test_every_mention_is_either_resolved_or_listed_as_unmatched(names):
    result = resolve(records([]), mentions([("s", n) for n in set(names)]), ALIASES, ["s"])
    resolved = {n for _, n, _, _, _ in result["resolution"].iter_rows()}
    unmatched = {u["model_name"] for u in result["unmatched"].to_dicts()}
    assert resolved | unmatched == set(names) and not resolved & unmatched
