"""Entity resolution: one canonical id per model across sources; nothing unmatched is dropped."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.resolution import candidate_keys, name_key, resolve
from pipeline.sources.records import MODEL_COLUMNS
from tests.conftest import examples


def records(rows):
    return pl.DataFrame([{c: r.get(c) for c in MODEL_COLUMNS} for r in rows], schema=MODEL_COLUMNS)


def mentions(rows):
    return pl.DataFrame(
        [{"source_name": s, "model_name": n, "tables": "benchmark_results", "rows": 1} for s, n in rows],
        schema={"source_name": pl.Utf8, "model_name": pl.Utf8, "tables": pl.Utf8, "rows": pl.Int64},
    )


ALIASES = pl.DataFrame({"alias": ["Qwen/Qwen3-8B-Base"], "model_id": ["Qwen/Qwen3-8B"]})


def test_records_merge_across_sources_in_catalogue_order():
    result = resolve(
        records(
            [
                {
                    "source_name": "cards",
                    "model_name": "deepseek-ai/DeepSeek-V3",
                    "ledger_id": "deepseek-ai/DeepSeek-V3",
                    "aliases": "DeepSeek-V3|Deepseek V3",
                },
                {"source_name": "epoch", "model_name": "DeepSeek-V3"},
                {"source_name": "epoch", "model_name": "Qwen3-Max"},
                {"source_name": "cards", "model_name": "Qwen/Qwen3-8B", "ledger_id": "Qwen/Qwen3-8B"},
                {
                    "source_name": "hub",
                    "model_name": "unsloth/Qwen3-8B-GGUF",
                    "hub_id": "unsloth/Qwen3-8B-GGUF",
                    "base_model": "Qwen/Qwen3-8B-Base",
                },
            ]
        ),
        mentions([("epoch_gpqa", "claude-3-7-sonnet-20250219"), ("epoch_gpqa", "DeepSeek-V3"), ("paper", "Deepseek V3")]),
        ALIASES,
        ["cards", "epoch", "hub", "epoch_gpqa", "paper"],
    )
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
    result = resolve(
        records(
            [
                {
                    "source_name": "cards",
                    "model_name": "anthropic/claude-3-7-sonnet-20250219",
                    "ledger_id": "anthropic/claude-3-7-sonnet-20250219",
                }
            ]
        ),
        mentions([("epoch", "claude-3-7-sonnet-20250219_32K"), ("epoch", "o1-2024-12-17_high")]),
        ALIASES,
        ["cards", "epoch"],
    )
    resolution = {n: m for _, n, m, _, _ in result["resolution"].iter_rows()}
    assert resolution["claude-3-7-sonnet-20250219_32K"] == "anthropic/claude-3-7-sonnet-20250219"
    assert [u["model_name"] for u in result["unmatched"].to_dicts()] == ["o1-2024-12-17_high"]


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=60))
def test_keys_are_lowercase_alphanumeric_and_never_raise(name):
    for key in candidate_keys(name):
        assert key == name_key(key) and key


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), max_size=15))
def test_every_mention_is_either_resolved_or_listed_as_unmatched(names):
    result = resolve(records([]), mentions([("s", n) for n in set(names)]), ALIASES, ["s"])
    resolved = {n for _, n, _, _, _ in result["resolution"].iter_rows()}
    unmatched = {u["model_name"] for u in result["unmatched"].to_dicts()}
    assert resolved | unmatched == set(names) and not resolved & unmatched


QWEN = {"source_name": "epoch", "model_name": "Qwen3-8B", "organization": "Alibaba"}
QWEN_CARD = {"source_name": "cards", "model_name": "Qwen3-8B", "ledger_id": "Qwen/Qwen3-8B", "organization": "Alibaba"}
ORGS = {"Qwen": "Alibaba"}


def _resolved(rows, names=()):
    result = resolve(records(rows), mentions(names), ALIASES.clear(), ["cards", "epoch", "gpqa"], org_aliases=ORGS)
    return {(s, n): m for s, n, m, _, _ in result["resolution"].iter_rows()}, result


def test_a_path_tail_of_another_organisation_takes_over_nothing_in_either_order():
    evil = {"source_name": "cards", "model_name": "evil/Qwen3-8B", "hub_id": "evil/Qwen3-8B", "organization": "Alibaba"}
    for rows in ([evil, QWEN], [QWEN, evil]):
        resolution, _ = _resolved(rows, [("gpqa", "Qwen3-8B")])
        assert resolution[("epoch", "Qwen3-8B")] == "Qwen3-8B"
        assert resolution[("cards", "evil/Qwen3-8B")] == "evil/Qwen3-8B"
    # the Hub organisation that is the developer still joins Epoch's record by its last path part
    qwen_hub = {"source_name": "cards", "model_name": "Qwen/Qwen3-8B", "hub_id": "Qwen/Qwen3-8B"}
    resolution, _ = _resolved([qwen_hub, QWEN])
    assert resolution[("epoch", "Qwen3-8B")] == "Qwen/Qwen3-8B"


def test_a_declared_alias_that_names_another_model_is_refused_in_either_order():
    claim = {
        "source_name": "cards",
        "record_id": "a.md",
        "model_name": "Helpful",
        "ledger_id": "evil/helpful",
        "aliases": "Qwen3-8B|helpful-v1",
    }
    qwen_hub_card = {**QWEN_CARD, "model_name": "Qwen/Qwen3-8B", "aliases": "Qwen3-8B"}  # its bare name only an alias
    evil_claim = {**claim, "organization": "Evil"}  # an organisation that does not agree with Qwen's changes nothing
    for rows in ([claim, QWEN_CARD, QWEN], [QWEN_CARD, claim, QWEN], [evil_claim, qwen_hub_card, QWEN], [qwen_hub_card, evil_claim, QWEN]):
        resolution, result = _resolved(rows, [("gpqa", "Qwen3-8B"), ("gpqa", "helpful-v1")])
        qwen = next(r for r in rows if r.get("ledger_id") == "Qwen/Qwen3-8B")
        assert resolution[("cards", qwen["model_name"])] == resolution[("epoch", "Qwen3-8B")] == "Qwen/Qwen3-8B"
        assert resolution[("gpqa", "Qwen3-8B")] == "Qwen/Qwen3-8B"
        assert resolution[("cards", "Helpful")] == resolution[("gpqa", "helpful-v1")] == "evil/helpful"  # its other alias works
        [refused] = result["refused"].to_dicts()
        assert refused["record_id"] == "cards:a.md" and refused["check_name"] == "alias_collision"
        assert "`Qwen3-8B`" in refused["reason"] and "Qwen/Qwen3-8B" in refused["reason"]


def test_lookalike_letters_give_a_name_a_key_of_its_own():
    assert name_key("Qw\u0435n3-8B") != name_key("Qwen3-8B")  # a Cyrillic е
    assert name_key("Qwen3-8B\u0307") != name_key("Qwen3-8B")  # a combining dot
    assert name_key("Qwen3\u20138B") == name_key("\uff31wen3 8B") == name_key("Qwen3-8B")  # a dash, full-width letters
    resolution, _ = _resolved([QWEN, {"source_name": "cards", "model_name": "Qw\u0435n3-8B"}])
    assert resolution[("cards", "Qw\u0435n3-8B")] == "Qw\u0435n3-8B"


def test_an_earlier_sources_alias_names_a_later_sources_record_but_not_the_other_way():
    card = {
        "source_name": "cards",
        "record_id": "o3.md",
        "model_name": "openai/o3-mini-2025-01-31",
        "ledger_id": "openai/o3-mini-2025-01-31",
        "aliases": "o3-mini",
        "organization": "OpenAI",
    }
    epoch = {"source_name": "epoch", "record_id": "row 2", "model_name": "o3-mini", "organization": "OpenAI"}
    resolution, result = _resolved([card, epoch])
    assert resolution[("epoch", "o3-mini")] == "openai/o3-mini-2025-01-31" and result["refused"].height == 0
    late_claim = {"source_name": "epoch", "record_id": "row 3", "model_name": "Helpful", "aliases": "o3-mini"}
    resolution, result = _resolved([card, epoch, late_claim])
    assert resolution[("epoch", "Helpful")] == "Helpful"
    assert result["refused"]["record_id"].to_list() == ["epoch:row 3"]
