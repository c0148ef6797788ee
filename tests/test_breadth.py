"""Breadth on real data: the embedded snapshots, Epoch's other files, resolution that keeps distinct models
apart, the choice among facts of one kind, fine-tune compute, confidence ranges and charts with gaps."""

from __future__ import annotations

import csv
import hashlib
import random
import re

import polars as pl
import pytest

from pipeline import costmodel, snapshot
from pipeline.catalogue import load_catalogue
from pipeline.paths import PROJECT_ROOT
from pipeline.resolution import resolve, signature
from pipeline.sources import epoch
from pipeline.sources.records import MODEL_COLUMNS, Batch
from tests.conftest import realdata

MANIFEST = PROJECT_ROOT / "data" / "snapshots" / "manifest.csv"


def test_every_embedded_snapshot_is_listed_with_its_provenance_and_matches_its_sha256():
    rows = list(csv.DictReader(MANIFEST.open(encoding="utf-8")))
    assert {r["name"] for r in rows} >= {
        "epoch_notable_models",
        "epoch_gpqa_diamond",
        "epoch_otis_mock_aime",
        "epoch_benchmark_runs",
        "epoch_model_versions",
        "epoch_distilled_models",
        "open_llm_leaderboard_v2",
    }
    for row in rows:
        path = MANIFEST.parent / row["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"], row["name"]
        assert path.stat().st_size < 2 * 1024 * 1024  # no tracked file past ~2 MiB
        assert row["licence"] and row["citation"] and re.match(r"^[0-9a-f]{64}$", row["upstream_sha256"])
        assert int(row["rows"]) <= int(row["upstream_rows"])
        if row["name"].startswith("epoch"):
            assert "CC BY 4.0" in row["licence"]


def test_the_default_catalogue_reads_the_snapshots_and_carries_their_provenance():
    sources = {s.name: s for s in load_catalogue(PROJECT_ROOT / "sources.yaml")}
    notable = sources["epoch_notable_models"].provenance
    assert notable["snapshot_date"] == "2026-01-26" and "CC BY 4.0" in notable["licence"]
    assert sources["embedded_model_cards"].provenance["licence"] is None  # not a snapshot: nothing invented


def test_a_snapshot_keeps_only_the_columns_its_reader_looks_for_and_is_rebuilt_byte_for_byte(tmp_path):
    upstream = tmp_path / "notable.csv"
    upstream.write_text(
        "Model,Domain,Task,Parameters,Abstract,Training compute (FLOP),Confidence\n"
        'LM-1,Language,Chat,7e9,"long text",1e23,Likely\n'
        "Vis-1,Vision,Image classification,1e8,x,1e20,Confident\n",
        encoding="utf-8",
    )
    manifest = tmp_path / "manifest.csv"
    first = snapshot.build(
        upstream, "notable", kind="epoch_models", licence="CC BY 4.0", citation="Epoch AI", out_dir=tmp_path, manifest=manifest
    )
    frame = pl.read_parquet(tmp_path / "notable.parquet")
    assert frame.columns == ["Model", "Domain", "Task", "Parameters", "Training compute (FLOP)", "Confidence"]
    assert frame["Model"].to_list() == ["LM-1"] and first["filter"] == "Domain contains Language"
    # the refresh keeps the licence and citation, and the same input gives the same bytes
    again = snapshot.build(upstream, "notable", out_dir=tmp_path, manifest=manifest)
    assert again["sha256"] == first["sha256"] and again["licence"] == "CC BY 4.0"
    with pytest.raises(snapshot.SnapshotError):
        snapshot.build(upstream, "other", kind="epoch_models", out_dir=tmp_path, manifest=manifest)  # no licence


def test_the_runs_export_is_split_by_task_and_keeps_each_runs_setting():
    batch = Batch("runs")
    epoch.read_benchmark(realdata("leaderboards", "epoch__benchmarks_runs.csv").read_bytes(), batch, benchmark="runs")
    frames = batch.frames()
    benchmarks = set(frames["benchmarks"]["benchmark"])
    assert {"GPQA diamond", "OTIS Mock AIME 2024-2025", "MATH level 5"} <= benchmarks
    gpt51 = frames["benchmarks"].filter(pl.col("model_name") == "gpt-5.1")
    assert set(gpt51["benchmark"]) >= {"GPQA diamond", "OTIS Mock AIME 2024-2025"} and set(gpt51["setting"]) == {"medium", "high"}
    # its OTIS score is an OTIS score, not its GPQA Diamond
    assert gpt51.filter(pl.col("benchmark") == "OTIS Mock AIME 2024-2025")["setting"].to_list() == ["high"]
    assert frames["benchmarks"]["as_of"].drop_nulls().str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert frames["models"]["model_name"].n_unique() == frames["models"].height  # one record per model


def test_model_versions_give_aliases_only_for_a_models_own_release_or_the_release_epoch_names():
    raw = (
        b"id,Model,Version release date,Hugging Face developer id,Link,Display name\n"
        b"claude-3-7-sonnet-20250219,Claude 3.7 Sonnet,,,,\n"
        b"claude-3-7-sonnet-20250219_32K,Claude 3.7 Sonnet,,,,\n"
        b"Llama-3.1-8B-Instruct,Llama 3.1-8B,,meta-llama,https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct,\n"
        b"Llama-3.1-405B,Llama 3.1-405B,,meta-llama,https://huggingface.co/meta-llama/Llama-3.1-405B,\n"
        b"gpt-4o-2024-11-20,GPT-4o,2024-11-20,,,GPT-4o (Nov 2024)\n"
        b"gpt-4o-2024-05-13,GPT-4o,2024-05-13,,,GPT-4o (May 2024)\n"
        b"o1-2024-12-17_high,o1,,,,o1 (high)\n"
        b"mistral-large-2411,Mistral Large 2,,,,\n"
        b"DeepSeek-R1,DeepSeek-R1,,deepseek-ai,,\n"
        b"DeepSeek-R1-0528,DeepSeek-R1,,deepseek-ai,,DeepSeek-R1 (May 2025)\n"
    )
    batch = Batch("versions")
    epoch.read_model_versions(raw, batch)
    models = {m["model_name"]: m for m in batch.models}
    assert models["Claude 3.7 Sonnet"]["aliases"] == "claude-3-7-sonnet-20250219|claude-3-7-sonnet-20250219_32K"
    assert models["Llama 3.1-405B"]["hub_id"] == "meta-llama/Llama-3.1-405B"
    # two API snapshots of GPT-4o are the two releases Epoch's display names say, not one model
    # (the earliest also takes the undated name: no version is plain GPT-4o's own release)
    assert models["GPT-4o (May 2024)"]["aliases"] == "gpt-4o-2024-05-13|GPT-4o"
    assert models["GPT-4o (Nov 2024)"]["aliases"] == "gpt-4o-2024-11-20" and "GPT-4o" not in models
    assert models["o1"]["aliases"] == "o1-2024-12-17_high"  # a run setting's display name is not a release
    assert models["DeepSeek-R1 (May 2025)"]["aliases"] == "DeepSeek-R1-0528"  # R1 has a release of its own
    assert models["DeepSeek-R1"]["aliases"] == "DeepSeek-R1"
    # an Instruct variant is linked to its base, never one of its names
    assert "Llama 3.1-8B" not in models and models["Llama-3.1-8B-Instruct"]["base_model"] == "Llama 3.1-8B"
    assert models["Llama-3.1-8B-Instruct"]["aliases"] is None
    assert batch.skipped == 1  # a later checkpoint with no display name: neither alias nor variant


def test_epoch_versions_keep_gpt_4o_releases_apart_in_the_default():
    versions = next(s for s in load_catalogue(PROJECT_ROOT / "sources.yaml") if s.name == "epoch_model_versions")
    batch = Batch(versions.name)
    epoch.read_model_versions(versions.path.read_bytes(), batch)
    aliases = {m["model_name"]: (m["aliases"] or "").split("|") for m in batch.models}
    assert "gpt-4o-2024-11-20" in aliases["GPT-4o (Nov 2024)"]
    assert not any("gpt-4o-2024-11-20" in names for model, names in aliases.items() if model != "GPT-4o (Nov 2024)")


def test_the_distilled_list_is_one_judgement_per_model_with_its_confidence():
    batch = Batch("distilled")
    epoch.read_distilled(realdata("leaderboards", "epoch__distilled_models.csv").read_bytes(), batch)
    models = {m["model_name"]: m for m in batch.models}
    assert "claude-3-7-sonnet-20250219_32K" not in models
    assert models["claude-3-7-sonnet-20250219"]["distilled"] is True
    assert "low confidence" in models["claude-3-7-sonnet-20250219"]["distilled_basis"]
    assert models["Baichuan-2-7B-Base"]["distilled"] is False


def test_epoch_models_keep_datapoints_apart_from_tokens_and_confidence_on_every_fact():
    batch = Batch("epoch")
    epoch.read_models(realdata("leaderboards", "epoch__notable_ai_models.csv").read_bytes(), batch)
    facts = batch.frames()["facts"]
    assert "training_tokens" not in set(facts["quantity"]) and "training_datapoints" in set(facts["quantity"])
    v3 = facts.filter(pl.col("model_name") == "DeepSeek-V3")
    assert set(v3["confidence"]) <= {"Confident", "Likely", "Speculative", "Unknown"} and v3["confidence"].null_count() == 0
    names = {m["model_name"] for m in batch.models}
    assert "Pandemonium (morse)" not in names and "GPT-4o (Aug 2024)" in names  # a Morse decoder is not a language model
    assert "ImageBind" not in names and "BEIT-3" not in names  # tagged with a language task, but encoders


def _records(rows):
    return pl.DataFrame([{c: r.get(c) for c in MODEL_COLUMNS} for r in rows], schema=MODEL_COLUMNS)


NO_MENTIONS = pl.DataFrame(schema={"source_name": pl.Utf8, "model_name": pl.Utf8, "tables": pl.Utf8, "rows": pl.Int64})
NO_ALIASES = pl.DataFrame(schema={"alias": pl.Utf8, "model_id": pl.Utf8})


def test_forks_by_others_are_not_merged_into_the_official_model_but_the_same_model_is():
    result = resolve(
        _records(
            [
                {"source_name": "cards", "model_name": "microsoft/phi-4", "hub_id": "microsoft/phi-4", "organization": "Microsoft"},
                {"source_name": "hub", "model_name": "unsloth/phi-4", "hub_id": "unsloth/phi-4", "base_model": "microsoft/phi-4"},
                {"source_name": "epoch", "model_name": "Llama 3.1-405B", "organization": "Meta AI"},
                {"source_name": "oll", "model_name": "meta-llama/Llama-3.1-405B", "hub_id": "meta-llama/Llama-3.1-405B"},
                {"source_name": "epoch", "model_name": "Qwen3-32B", "organization": "Alibaba"},
                {"source_name": "oll", "model_name": "Qwen/Qwen3-32B", "hub_id": "Qwen/Qwen3-32B"},
            ]
        ),
        NO_MENTIONS,
        NO_ALIASES,
        ["cards", "epoch", "hub", "oll"],
        org_aliases={"Qwen": "Alibaba"},
    )
    resolution = {(s, n): m for s, n, m, _, _ in result["resolution"].iter_rows()}
    assert resolution[("hub", "unsloth/phi-4")] == "unsloth/phi-4"
    assert resolution[("oll", "meta-llama/Llama-3.1-405B")] == "Llama 3.1-405B"
    assert resolution[("oll", "Qwen/Qwen3-32B")] == "Qwen3-32B"
    models = {m["model_id"]: m for m in result["models"].to_dicts()}
    assert models["unsloth/phi-4"]["base_model_id"] == "microsoft/phi-4"  # linked, not merged
    assert models["Llama 3.1-405B"]["hub_id"] == "meta-llama/Llama-3.1-405B"  # a later record fills what was unknown


def test_annotations_name_and_describe_models_but_never_create_one():
    result = resolve(
        _records(
            [
                {"source_name": "versions", "model_name": "Claude 3.7 Sonnet", "aliases": "claude-3-7-sonnet-20250219"},
                {"source_name": "distilled", "model_name": "claude-3-7-sonnet-20250219", "distilled": True, "distilled_basis": "Epoch"},
                {"source_name": "distilled", "model_name": "amazon.nova-pro-v1:0", "distilled": False, "distilled_basis": "Epoch"},
                {"source_name": "epoch", "model_name": "Claude 3.7 Sonnet", "organization": "Anthropic"},
                {"source_name": "gpqa", "model_name": "claude-3-7-sonnet-20250219"},
            ]
        ),
        NO_MENTIONS,
        NO_ALIASES,
        ["versions", "distilled", "epoch", "gpqa"],
        annotating_sources={"versions", "distilled"},
    )
    models = {m["model_id"]: m for m in result["models"].to_dicts()}
    assert list(models) == ["Claude 3.7 Sonnet"]  # the version id found it, whichever source came first
    assert models["Claude 3.7 Sonnet"]["distilled"] is True
    resolution = {(s, n): m for s, n, m, _, _ in result["resolution"].iter_rows()}
    assert resolution[("distilled", "amazon.nova-pro-v1:0")] is None
    assert resolution[("gpqa", "claude-3-7-sonnet-20250219")] == "Claude 3.7 Sonnet"
    outcomes = {(s, n): o for s, n, _, _, o in result["resolution"].iter_rows()}
    assert outcomes[("distilled", "amazon.nova-pro-v1:0")] == "unused annotation"
    assert outcomes[("epoch", "Claude 3.7 Sonnet")] == "new model" and outcomes[("gpqa", "claude-3-7-sonnet-20250219")] == "matched"


@pytest.mark.parametrize(
    ("name", "known", "suggested"),
    [
        ("Llama-3.1-405B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", False),  # another size
        ("Meta-Llama-3-70B-Instruct", "Llama-3.3-70B-Instruct", False),  # another generation
        ("claude-3-5-sonnet-20240620", "claude-3-7-sonnet", False),  # another version
        ("meta-llama/Llama-3.1-405B-Instruct", "Llama 3.1-405B", True),  # the same size, generation and version
        ("Llama-3.1-405B-Instruct-FP8", "Llama 3.1-405B", False),  # another number: the rule is strict
    ],
)
def test_a_suggestion_never_changes_the_size_generation_or_version(name, known, suggested):
    mentions = pl.DataFrame([{"source_name": "s", "model_name": name, "tables": "benchmark_results", "rows": 1}])
    result = resolve(_records([{"source_name": "m", "model_name": known}]), mentions, NO_ALIASES, ["m", "s"])
    suggestion = result["unmatched"]["suggestion"].to_list()
    assert suggestion == ([known] if suggested else [None]), signature(name)


def _facts(rows):
    return pl.DataFrame(
        rows,
        schema={
            "model_id": pl.Utf8,
            "quantity": pl.Utf8,
            "value": pl.Float64,
            "kind": pl.Utf8,
            "source": pl.Utf8,
            "url": pl.Utf8,
            "accelerator_id": pl.Utf8,
            "scope": pl.Utf8,
            "confidence": pl.Utf8,
            "source_name": pl.Utf8,
            "tie_order": pl.Int64,
        },
    )


SCENARIOS = pl.DataFrame(
    {"scenario": ["default", "paper"], "fact_precedence": ["reported|estimated", "reported|estimated"], "fact_sources": [None, "cards"]}
)


def test_ties_among_facts_of_one_kind_follow_tie_order_whatever_the_row_order():
    rows = [
        ("m", "params_total", 7e10, "estimated", "old snapshot", 2),
        ("m", "params_total", 7e9, "estimated", "new snapshot", 1),
        ("m", "params_total", 8e9, "estimated", "listed later", 3),
    ]
    for seed in range(5):
        shuffled = random.Random(seed).sample(rows, len(rows))
        facts = _facts(
            [
                {
                    "model_id": m,
                    "quantity": q,
                    "value": v,
                    "kind": k,
                    "source": s,
                    "url": "https://x",
                    "accelerator_id": None,
                    "scope": None,
                    "confidence": None,
                    "source_name": "epoch",
                    "tie_order": t,
                }
                for m, q, v, k, s, t in shuffled
            ]
        )
        chosen = costmodel.resolve_facts(facts, SCENARIOS).filter(pl.col("chosen") & (pl.col("scenario") == "default"))
        assert chosen["value"].to_list() == [7e9]


def test_a_scenario_with_fact_sources_reads_only_them():
    facts = _facts(
        [
            {
                "model_id": "m",
                "quantity": "params_total",
                "value": v,
                "kind": "reported",
                "source": s,
                "url": "https://x",
                "accelerator_id": None,
                "scope": None,
                "confidence": None,
                "source_name": s,
                "tie_order": t,
            }
            for v, s, t in ((1e9, "epoch", 1), (2e9, "cards", 2))
        ]
    )
    resolved = costmodel.resolve_facts(facts, SCENARIOS)
    assert resolved.filter(pl.col("scenario") == "paper")["source_name"].to_list() == ["cards"]
    assert resolved.filter((pl.col("scenario") == "default") & pl.col("chosen"))["value"].to_list() == [1e9]


def _lineage(rows, parents):
    flops = pl.DataFrame(rows, schema=costmodel.LINEAGE_INPUTS)
    parent_frame = pl.DataFrame(parents, schema={"model_id": pl.Utf8, "parent_id": pl.Utf8, "base_unresolved": pl.Boolean}, orient="row")
    return {r["model_id"]: r for r in costmodel.lineage(flops, parent_frame).to_dicts()}


def test_fine_tune_compute_is_the_marginal_part_and_an_unresolved_base_is_never_marginal():
    rows = [
        {
            "scenario": "d",
            "model_id": "base",
            "teacher": None,
            "training_flops": 3.4e24,
            "training_flops_scope": "cumulative",
            "finetune_flops": None,
        },
        {
            "scenario": "d",
            "model_id": "r1",
            "teacher": None,
            "training_flops": 4.0e24,
            "training_flops_scope": "cumulative",
            "finetune_flops": 1.83e23,
        },
        {
            "scenario": "d",
            "model_id": "nemotron",
            "teacher": None,
            "training_flops": 7.93e24,
            "training_flops_scope": "cumulative",
            "finetune_flops": 1.03e20,
        },
        {
            "scenario": "d",
            "model_id": "orphan",
            "teacher": None,
            "training_flops": 5e24,
            "training_flops_scope": "cumulative",
            "finetune_flops": None,
        },
        # Epoch gives an Instruct version its base model's figure: that says nothing of the fine-tune's own compute
        {
            "scenario": "d",
            "model_id": "instruct",
            "teacher": None,
            "training_flops": 3.4e24,
            "training_flops_scope": "cumulative",
            "finetune_flops": None,
        },
    ]
    out = _lineage(rows, [("r1", "base", False), ("nemotron", None, True), ("orphan", None, True), ("instruct", "base", False)])
    assert out["instruct"]["marginal_flops"] is None and out["instruct"]["lineage_flops"] == 3.4e24
    assert "not above its base" in out["instruct"]["lineage_note"]
    assert out["r1"]["marginal_flops"] == 1.83e23 and out["r1"]["lineage_flops"] == 4.0e24  # the base counted once
    assert out["nemotron"]["marginal_flops"] == 1.03e20 and "not resolved" in out["nemotron"]["lineage_note"]
    assert out["orphan"]["marginal_flops"] is None and "marginal compute unknown" in out["orphan"]["lineage_note"]
    assert out["base"]["marginal_flops"] == 3.4e24


def test_a_speculative_estimate_gets_a_wider_range_than_a_confident_one():
    factors = costmodel.confidence_factors(PROJECT_ROOT / "data" / "reference" / "estimate_confidence.csv")
    assert factors["Confident"] < factors["Likely"] < factors["Speculative"]
    inputs = pl.DataFrame(
        {
            "scenario": ["d", "d"],
            "model_id": ["a", "b"],
            "method": ["external", "external"],
            "declared_flops_kind": ["estimated", "estimated"],
            "distillation_samples": [None, None],
            "tokens_per_sample": [None, None],
            "training_tokens": [None, None],
            "params_used": [1e9, 1e9],
            "teacher_params_used": [None, None],
            "epochs": [None, None],
            "params_active": [None, None],
            "params_total": [1e9, 1e9],
        },
        schema_overrides={
            c: pl.Float64
            for c in ("distillation_samples", "tokens_per_sample", "training_tokens", "teacher_params_used", "epochs", "params_active")
        },
    )
    candidates = pl.DataFrame(
        {
            "scenario": ["d", "d"],
            "model_id": ["a", "b"],
            "flops_method": ["estimated", "estimated"],
            "training_flops": [1e24, 1e24],
            "formula": ["as given"] * 2,
            "kind": ["estimated"] * 2,
            "source": ["Epoch"] * 2,
            "scope": ["marginal"] * 2,
            "confidence": ["Confident", "Speculative"],
        }
    )
    scenarios = pl.DataFrame({"scenario": ["d"], "flops_method_precedence": ["estimated"]})  # choose_flops reads only this
    chosen = {r["model_id"]: r for r in costmodel.choose_flops(inputs, candidates, scenarios, factors).to_dicts()}
    width = {m: r["training_flops_high"] / r["training_flops_low"] for m, r in chosen.items()}
    assert width["b"] > width["a"] > 1 and chosen["a"]["training_flops_confidence"] == "Confident"
    assert chosen["a"]["training_flops_low"] == pytest.approx(1e24 / factors["Confident"])


def test_a_score_chart_with_models_of_unknown_compute_draws_the_rest_and_says_how_many_are_left_out():
    from pipeline import charts

    frame = pl.DataFrame(
        {
            "model": ["a", "b", "c"],
            "model_type": ["Vanilla"] * 3,
            "training_flops": [1e23, None, None],
            "training_flops_kind": ["estimated", None, None],
            "gpqa_diamond": [50.0, 60.0, None],
        }
    )
    spec = charts.score_vs_compute(frame, "gpqa_diamond", "GPQA Diamond", "t").to_dict()
    assert "1 of 2 models with a score are not drawn" in str(spec["title"]["subtitle"])
    empty = charts.score_vs_compute(frame.with_columns(training_flops=pl.lit(None, dtype=pl.Float64)), "gpqa_diamond", "g", "t")
    assert "no model has both" in str(empty.to_dict())
