"""Shape fuzzing on real records (issue 16): every adapter, given a real file changed in its structure at any
place, returns records and rejects and never raises, and loses at most what the change touched.

Tables come from the embedded snapshots (real Epoch AI and Open LLM Leaderboard rows, always present); JSON
documents from ../shared/realdata/ (skipped without it). `LEDGER_FUZZ_EXAMPLES` sizes each test; `make fuzz`
runs many more cases than `make test`."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.catalogue import Source
from pipeline.ingest import _parse
from tests.conftest import DATA_DIR, REALDATA
from tests.shapes import EXAMPLES, OPERATIONS, SHAPES, mutate, paths

FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SNAPSHOTS = DATA_DIR / "snapshots"
ROWS = 25  # rows of each real table that are mutated: enough for every column to hold real values

TABLES = {  # snapshot -> the source that reads it
    "epoch_notable_models": Source("fuzz", "epoch_models"),
    "epoch_gpqa_diamond": Source("fuzz", "epoch_benchmarks", options={"benchmark": "gpqa_diamond"}),
    "epoch_benchmark_runs": Source("fuzz", "epoch_benchmarks"),
    "epoch_model_versions": Source("fuzz", "epoch_model_versions"),
    "epoch_distilled_models": Source("fuzz", "epoch_distilled"),
    "open_llm_leaderboard_v2": Source("fuzz", "open_llm_leaderboard"),
}


def _table(snapshot: str) -> pl.DataFrame:
    frame = pl.read_parquet(SNAPSHOTS / f"{snapshot}.parquet")
    return frame.head(ROWS).with_columns(pl.all().cast(pl.Utf8))


def _csv(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_csv(out)
    return out.getvalue()


def _read(source: Source, name: str, raw: bytes):
    batch = _parse(source, name, raw)
    frames = batch.frames()  # the frames build: no value of the wrong type reaches polars
    assert all(r["reason"] for r in batch.rejects)
    return frames, batch


def _records(frames) -> int:
    return sum(frames[name].height for name in ("models", "facts", "benchmarks"))


BASELINE = {}


def _baseline(snapshot: str):
    """(records of the table as it is, the most records one row gives alone)."""
    if snapshot not in BASELINE:
        source, frame = TABLES[snapshot], _table(snapshot)
        whole = _records(_read(source, "t.csv", _csv(frame))[0])
        per_row = max(_records(_read(source, "t.csv", _csv(frame.slice(i, 1)))[0]) for i in range(frame.height))
        BASELINE[snapshot] = whole, per_row
    return BASELINE[snapshot]


CELLS = (
    st.text(max_size=40)
    | st.sampled_from(
        [
            "",
            "1,5",
            "1e400",
            "-1",
            "NaN",
            "inf",
            "0x10",
            "None",
            "null",
            "TRUE",
            '"',
            '""',
            "a,b",
            "line\nbreak",
            "=cmd()",
            "\ufeff",
            "2025-13-45",
        ]
    )
    | st.just("y" * 20_000)
)


@FUZZ
@given(snapshot=st.sampled_from(sorted(TABLES)), row=st.integers(0, ROWS - 1), column=st.integers(0, 200), cell=CELLS)
def test_one_cell_of_a_real_table_in_any_shape_costs_at_most_its_row(snapshot, row, column, cell):
    frame = _table(snapshot)
    name = frame.columns[column % frame.width]
    mutated = frame.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit(cell)).otherwise(pl.col(name)).alias(name))
    frames, _ = _read(TABLES[snapshot], "t.csv", _csv(mutated))
    whole, per_row = _baseline(snapshot)
    assert _records(frames) >= whole - per_row - 1  # that row, and a model it may now merge into another's name


@FUZZ
@given(
    snapshot=st.sampled_from(sorted(TABLES)),
    column=st.integers(0, 200),
    operation=st.sampled_from(["drop", "duplicate", "rename", "ragged_row", "truncate", "header_only", "latin1_byte", "crlf", "bom"]),
    text=st.text(max_size=20),
    cut=st.floats(0, 1),
)
def test_a_real_table_changed_in_its_structure_is_read_or_refused_never_raises(snapshot, column, operation, text, cut):
    frame = _table(snapshot)
    name = frame.columns[column % frame.width]
    raw = _csv(frame)
    if operation == "drop":
        raw = _csv(frame.drop(name))
    elif operation == "duplicate":
        header, rest = raw.split(b"\n", 1)
        cells = [line for line in rest.split(b"\n") if line]
        raw = header + b"," + name.encode() + b"\n" + b"".join(line + b",dup\n" for line in cells)
    elif operation == "rename":
        raw = _csv(frame.rename({name: text or "_"})) if (text or "_") not in frame.columns else raw
    elif operation == "ragged_row":
        lines = raw.split(b"\n")
        lines[1 + column % (len(lines) - 2)] += b",extra,cells"
        raw = b"\n".join(lines)
    elif operation == "truncate":
        raw = raw[: int(len(raw) * cut)]
    elif operation == "header_only":
        raw = raw.split(b"\n", 1)[0] + b"\n"
    elif operation == "latin1_byte":
        position = int(len(raw) * cut)
        raw = raw[:position] + b"\xe9" + raw[position:]
    elif operation == "crlf":
        raw = raw.replace(b"\n", b"\r\n")
    else:
        raw = b"\xef\xbb\xbf" + raw
    frames, batch = _read(TABLES[snapshot], "t.csv", raw)
    whole, per_row = _baseline(snapshot)
    if operation in ("crlf", "bom", "duplicate"):
        assert _records(frames) == whole  # harmless to a reader: nothing lost
    elif operation in ("ragged_row", "latin1_byte"):
        assert _records(frames) >= whole - per_row - 1
    elif not _records(frames):
        assert batch.rejects or operation in ("header_only", "truncate", "drop", "rename")


RETYPES = {
    "list": lambda c: pl.concat_list([c]),
    "integer": lambda c: pl.lit(7),
    "binary": lambda c: c.cast(pl.Binary),
    "struct": lambda c: pl.struct(c.alias("inner")),
    "null": lambda c: pl.lit(None, pl.Null),
    "boolean": lambda c: pl.lit(True),
}


@FUZZ
@given(snapshot=st.sampled_from(sorted(TABLES)), column=st.integers(0, 200), retype=st.sampled_from(sorted(RETYPES)))
def test_a_parquet_column_of_another_type_never_raises_and_a_list_reads_as_its_item(snapshot, column, retype):
    frame = _table(snapshot)
    name = frame.columns[column % frame.width]
    out = io.BytesIO()
    frame.with_columns(RETYPES[retype](pl.col(name)).alias(name)).write_parquet(out)
    frames, _ = _read(TABLES[snapshot], "t.parquet", out.getvalue())
    whole, _ = _baseline(snapshot)
    if retype == "list":
        assert _records(frames) == whole  # a one-item list reads as its item


def _document(*parts: str):
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/realdata is absent)")
    return path


DOCUMENTS = {  # real JSON file -> (the name it is read under, the source that reads it)
    "lm_eval": (
        ("leaderboards", "lm_eval__meta-llama__Llama-3.1-8B__results_2025-03-06T22-33-41.820962.json"),
        "results_2025-03-06T22-33-41.json",
        Source("fuzz", "lm_eval"),
    ),
    "simple_evals": (
        ("leaderboards", "simple_evals_output__gpqa_customgpt.json"),
        "gpqa.json",
        Source("fuzz", "simple_evals", options={"model": "some/model", "benchmark": "gpqa_diamond"}),
    ),
    "hub_api": (
        ("model_cards", "hf_api_json", "deepseek-ai__DeepSeek-R1-Distill-Llama-8B.model.json"),
        "deepseek-ai__DeepSeek-R1-Distill-Llama-8B.model.json",
        Source("fuzz", "hf_model_cards"),
    ),
}
_LOADED = {}


def _loaded(kind: str):
    if kind not in _LOADED:
        parts, name, source = DOCUMENTS[kind]
        document = json.loads(_document(*parts).read_bytes())
        _LOADED[kind] = document, name, source, list(paths(document)), _records(_read(source, name, json.dumps(document).encode())[0])
    return _LOADED[kind]


@FUZZ
@given(kind=st.sampled_from(sorted(DOCUMENTS)), choice=st.integers(0, 10**9), operation=OPERATIONS, value=SHAPES)
def test_any_field_of_a_real_json_document_in_any_shape_gives_records_and_rejects_never_an_exception(kind, choice, operation, value):
    document, name, source, where, whole = _loaded(kind)
    path = where[choice % len(where)]
    frames, _ = _read(source, name, json.dumps(mutate(document, path, operation, value), allow_nan=True).encode())
    if kind == "lm_eval" and len(path) >= 2 and path[0] == "results":
        tasks = len(document["results"])
        assert _records(frames) >= whole * (tasks - 1) // tasks - 1  # one task's results at most


@FUZZ
@given(line=st.integers(0, 10**6), choice=st.integers(0, 10**9), operation=OPERATIONS, value=SHAPES)
def test_one_line_of_real_lm_eval_samples_in_any_shape_never_raises(line, choice, operation, value):
    path = _document("leaderboards", "lm_eval__Qwen__Qwen3-8B__samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl")
    lines = path.read_bytes().splitlines()[:40]
    index = line % len(lines)
    sample = json.loads(lines[index])
    where = list(paths(sample))
    lines[index] = json.dumps(mutate(sample, where[choice % len(where)], operation, value), allow_nan=True).encode()
    source = Source("fuzz", "lm_eval", options={"model": "Qwen/Qwen3-8B"})
    frames, _ = _read(source, "samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl", b"\n".join(lines))
    assert frames["benchmarks"].height <= 1


# The whole graph over a catalogue of mutants beside good files.

MUTANTS = int(__import__("os").environ.get("LEDGER_FUZZ_MUTANTS", "4"))  # per kind


def _mutant_values(rng):
    return rng.choice([None, True, 7, 2.5, "", "x" * 3000, [], ["a", ["b"]], {"k": {"k": [1]}}, {"": None}])


def _mutant_document(document, rng):
    where = list(paths(document))
    for _ in range(rng.randint(1, 3)):
        document = mutate(document, rng.choice(where), rng.choice(["replace", "drop", "wrap", "duplicate"]), _mutant_values(rng))
        where = list(paths(document)) or [("_",)]
    return document


def test_a_whole_run_over_mutants_beside_good_files_keeps_every_good_record(tmp_path):
    import random

    import duckdb
    import yaml

    from tests.test_sources_catalogue import run_all
    from tests.test_totality import META, _card

    rng = random.Random(16)
    cards = tmp_path / "cards"
    cards.mkdir()
    good_cards = sorted(p for p in (DATA_DIR / "model_cards").glob("*.md") if p.name != "README.md")
    for card in good_cards:
        (cards / card.name).write_bytes(card.read_bytes())
    for k in range(MUTANTS * 3):
        mutant = _mutant_document({**META, "ledger": {**META["ledger"], "id": f"mutant/card-{k}"}}, rng)
        (cards / f"mutant__card-{k}.md").write_bytes(_card(mutant) if isinstance(mutant, dict) else b"---\n[]\n---\n")
    entries = [{"name": "cards", "kind": "hf_model_cards", "path": str(cards)}]
    good_epoch = tmp_path / "good_epoch.csv"
    good_epoch.write_bytes(_csv(_table("epoch_notable_models")))
    entries.append({"name": "good_epoch", "kind": "epoch_models", "path": str(good_epoch)})
    frame = _table("epoch_notable_models")
    for k in range(MUTANTS):
        column = rng.choice(frame.columns)
        changed = frame.with_columns(pl.col("Model") + f" m{k}").with_columns(
            pl.when(pl.int_range(pl.len()) == rng.randrange(frame.height))
            .then(pl.lit(rng.choice(["", "1,5", "x" * 300, "NaN"])))
            .otherwise(pl.col(column))
            .alias(column)
        )
        raw = _csv(changed)
        if k % 2:  # and a broken row
            lines = raw.split(b"\n")
            lines[1 + rng.randrange(frame.height)] += b",extra"
            raw = b"\n".join(lines)
        (tmp_path / f"epoch_m{k}.csv").write_bytes(raw)
        entries.append({"name": f"epoch_m{k}", "kind": "epoch_models", "path": str(tmp_path / f"epoch_m{k}.csv")})
    results = REALDATA / "leaderboards" / "lm_eval__meta-llama__Llama-3.1-8B__results_2025-03-06T22-33-41.820962.json"
    if results.exists():
        document = json.loads(results.read_bytes())
        for k in range(MUTANTS):
            folder = tmp_path / f"lm_eval_m{k}"
            folder.mkdir()
            (folder / "results_2025-03-06T22-33-41.json").write_text(json.dumps(_mutant_document(document, rng)))
            entries.append({"name": f"lm_eval_m{k}", "kind": "lm_eval", "path": str(folder)})
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text(yaml.safe_dump({"sources": entries}))

    result, _ = run_all(catalogue, tmp_path)
    assert result.success, [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    good_names = [p.name for p in good_cards]
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:

        def count(sql, params=()):
            return con.execute(sql, list(params)).fetchall()[0][0]

        # every good card's model and facts, and every row of the good table, validated
        placeholders = ",".join("?" * len(good_names))
        assert count(
            f"select count(*) from validated.models where source_name = 'cards' and record_id in ({placeholders})", good_names
        ) == len(good_names)
        alone = _read(Source("x", "hf_model_cards"), good_cards[0].name, good_cards[0].read_bytes())[0]
        assert (
            count("select count(*) from validated.model_facts where source_name = 'cards' and record_id = ?", [good_cards[0].name])
            == alone["facts"].height
        )
        good_rows = _records(_read(Source("x", "epoch_models"), "t.csv", good_epoch.read_bytes())[0])
        assert (
            count(
                "select (select count(*) from raw.models where source_name = 'good_epoch') + "
                "(select count(*) from raw.model_facts where source_name = 'good_epoch')"
            )
            == good_rows
        )
        assert (
            count(
                "select count(*) from ops.quarantine where source_name = 'good_epoch' or "
                "try(json_extract_string(raw_content, '$.source_name')) = 'good_epoch'"
            )
            == 0
        )
        # each mutant was read or quarantined, with a reason
        for k in range(MUTANTS * 3):
            name = f"mutant__card-{k}.md"
            assert (
                count("select count(*) from raw.models where source_name = 'cards' and record_id = ?", [name])
                + count("select count(*) from ops.quarantine where record_id = ?", [name])
                > 0
            ), name
        for entry in entries[2:]:
            assert (
                count(
                    "select (select count(*) from raw.models where source_name = ?) + "
                    "(select count(*) from raw.benchmark_results where source_name = ?) + "
                    "(select count(*) from ops.quarantine where source_name = ?)",
                    [entry["name"]] * 3,
                )
                > 0
            ), entry["name"]
        assert count("select count(*) from ops.quarantine where coalesce(reason, '') = ''") == 0
