"""Property-based fuzzing of every parser and adapter: whatever the bytes, no crash, and every
rejected input leaves a reason."""

from __future__ import annotations

import csv
import io
import json

import polars as pl
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.catalogue import CatalogueError, load_catalogue
from pipeline.sources import epoch, leaderboards, model_cards, paper_table
from pipeline.sources.records import BENCHMARK_COLUMNS, FACT_COLUMNS, MODEL_COLUMNS, Batch
from pipeline.sources.safe_yaml import check_yaml
from tests.conftest import examples

FUZZ = settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
cells = st.one_of(st.text(max_size=12), st.floats(allow_nan=True).map(str), st.sampled_from(["", "NaN", "1e40", "-3", "=1+1", "0.5", "\n"]))


def assert_well_formed(batch: Batch) -> None:
    frames = batch.frames()  # building the frames must work for any parse
    assert frames["models"].schema == pl.Schema(MODEL_COLUMNS)
    assert frames["facts"].schema == pl.Schema(FACT_COLUMNS)
    assert frames["benchmarks"].schema == pl.Schema(BENCHMARK_COLUMNS)
    assert all(r["reason"] for r in batch.rejects)
    assert all(m["model_name"] for m in batch.models)


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


@FUZZ
@given(st.binary(max_size=3000))
def test_cards_from_random_bytes(raw):
    batch = Batch("fuzz")
    model_cards.parse_card(raw, "org__fuzz.md", batch)
    assert_well_formed(batch)


@FUZZ
@given(json_values, st.sampled_from(["", "\r\n", "\n\n"]), st.text(max_size=200))
def test_cards_from_random_front_matter(meta, prefix, body):
    front = yaml.safe_dump(meta if isinstance(meta, dict) else {"ledger": meta}, allow_unicode=True)
    raw = f"{prefix}---\n{front}---\n{body}".encode("utf-8", errors="replace")
    batch = Batch("fuzz")
    model_cards.parse_card(raw, "org__fuzz.md", batch)
    assert_well_formed(batch)


ledger_facts = st.lists(
    st.fixed_dictionaries(
        {
            "quantity": st.sampled_from(["params_total", "training_tokens", "epochs", "gpu_hours", "weird"]),
            "value": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8), st.integers(), st.none()),
            "unit": st.text(max_size=5),
            "kind": st.sampled_from(["reported", "estimated", "published", "rumour"]),
            "source": st.text(max_size=10),
            "url": st.sampled_from(["https://x.org", "javascript:x", ""]),
        }
    ),
    max_size=6,
)


@FUZZ
@given(st.text(max_size=40), ledger_facts)
def test_cards_with_random_ledger_blocks(model_id, facts):
    front = yaml.safe_dump({"ledger": {"id": model_id, "model_type": "Vanilla", "method": "pretraining", "facts": facts}})
    batch = Batch("fuzz")
    model_cards.parse_card(f"---\n{front}---\n".encode("utf-8", errors="replace"), "fuzz.md", batch)
    assert_well_formed(batch)


EPOCH_MODEL_COLUMNS = ["Model", "Domain", "Parameters", "Training compute (FLOP)", "Hardware quantity", "Training hardware", "Base model"]


@FUZZ
@given(st.lists(st.lists(cells, min_size=7, max_size=7), max_size=8), st.booleans())
def test_epoch_models_from_random_rows(rows, bom):
    raw = csv_bytes(EPOCH_MODEL_COLUMNS, [[*r[:1], "Language", *r[2:]] for r in rows])
    batch = Batch("fuzz")
    epoch.read_models((b"\xef\xbb\xbf" if bom else b"") + raw, batch)
    assert_well_formed(batch)


@FUZZ
@given(st.lists(st.lists(cells, min_size=3, max_size=3), max_size=8))
def test_epoch_benchmarks_from_random_rows(rows):
    batch = Batch("fuzz")
    epoch.read_benchmark(csv_bytes(["Model version", "mean_score", "Training compute (FLOP)"], rows), batch, benchmark="gpqa_diamond")
    assert_well_formed(batch)
    assert all(b["scale"] == "fraction" for b in batch.benchmarks)


@FUZZ
@given(st.lists(st.lists(cells, min_size=4, max_size=4), max_size=6))
def test_open_llm_leaderboard_from_random_rows(rows):
    batch = Batch("fuzz")
    header = ["model_name", "evaluations_gpqa_value", "evaluations_gpqa_normalized_score", "metadata_params_billions"]
    leaderboards.read_open_llm_leaderboard(csv_bytes(header, rows), batch)
    assert_well_formed(batch)


@FUZZ
@given(st.binary(max_size=500))
def test_tables_from_random_bytes(raw):
    for reader in (
        lambda b: epoch.read_models(raw, b),
        lambda b: epoch.read_benchmark(raw, b, benchmark="x"),
        lambda b: leaderboards.read_open_llm_leaderboard(raw, b),
    ):
        batch = Batch("fuzz")
        reader(batch)
        assert_well_formed(batch)
    for read in (paper_table.read_table1, paper_table.read_table2):
        frames = read(raw, "fuzz")
        assert all(r for r in frames["rejects"]["reason"].to_list())


@FUZZ
@given(json_values, st.text(max_size=20))
def test_lm_eval_results_from_random_json(results, model):
    batch = Batch("fuzz")
    for doc in ({"results": results, "model_name": model}, results):
        leaderboards.read_lm_eval_results(json.dumps(doc).encode(), "results_x.json", batch)
    assert_well_formed(batch)


@FUZZ
@given(st.lists(st.one_of(json_values.map(json.dumps), st.text(max_size=30)), max_size=10))
def test_lm_eval_samples_from_random_lines(lines):
    batch = Batch("fuzz")
    leaderboards.read_lm_eval_samples("\n".join(lines).encode(), "org__m/samples_t_2026-01-01T00-00-00.jsonl", batch)
    assert_well_formed(batch)
    assert len(batch.benchmarks) <= 1  # one pass@1 per file, or a reason why not
    assert batch.benchmarks or batch.rejects


@FUZZ
@given(st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200)))
def test_simple_evals_and_hub_json_from_random_input(raw):
    batch = Batch("fuzz")
    leaderboards.read_simple_evals(raw, "x.json", batch, model="m", benchmark="gpqa_diamond")
    model_cards.parse_hub_api_json(raw, "x.model.json", batch)
    assert_well_formed(batch)


@FUZZ
@given(st.text(max_size=400))
def test_yaml_limits_never_raise_anything_but_their_own_error(text):
    try:
        check_yaml(text)
    except ValueError as exc:
        assert "YAML" in str(exc)


@settings(max_examples=examples(200), deadline=None)
@given(doc=json_values)
def test_catalogue_loader_raises_only_catalogue_errors(doc, tmp_path_factory):
    path = tmp_path_factory.mktemp("cat") / "sources.yaml"
    path.write_text(yaml.safe_dump(doc if isinstance(doc, dict) else {"sources": doc}))
    try:
        sources = load_catalogue(path)
    except CatalogueError as exc:
        assert str(exc)
    else:
        assert all(s.name and s.kind for s in sources)
