"""Every card reader is total (issue 16): for a real card with any field replaced by a value of another shape,
the reader returns records and rejects and never raises; a bad part costs that part, not the card."""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.sources.model_cards import parse_card
from pipeline.sources.records import Batch, number
from tests.conftest import DATA_DIR
from tests.shapes import EXAMPLES, OPERATIONS, SHAPES, mutate, paths

CARD = DATA_DIR / "model_cards" / "Qwen__Qwen3-235B-A22B.md"


def _split(path):
    text = path.read_text()
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


META, BODY = _split(CARD)
N_FACTS = len(META["ledger"]["facts"])


def _card(meta: dict, body: str = BODY) -> bytes:
    return ("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + body).encode()


def _read(raw: bytes, name: str = "org__card.md") -> Batch:
    batch = Batch("cards")
    parse_card(raw, name, batch)
    batch.frames()  # the frames build: no value of the wrong type reaches polars
    return batch


def _with(path: tuple, value) -> dict:
    meta = copy.deepcopy(META)
    node = meta
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return meta


def _reasons(batch: Batch) -> list[str]:
    return [r["reason"] for r in batch.rejects]


@pytest.mark.parametrize("value", [7, True, {"a": 1}, 3.5])
def test_aliases_of_another_shape_are_refused_and_the_model_kept(value):
    batch = _read(_card(_with(("ledger", "aliases"), value)))
    assert [m["model_name"] for m in batch.models] == ["Qwen/Qwen3-235B-A22B"]
    assert len(batch.facts) == N_FACTS and len(batch.benchmarks) == 2
    assert any(r.startswith("`ledger.aliases`: expected a list of names") for r in _reasons(batch))


RESULT = META["model-index"][0]["results"][0]


@pytest.mark.parametrize(
    "index", [["a", "b"], "just text", {"name": "x"}, [{"name": "x", "results": "none"}], [{"name": "x", "results": [{"task": 5}]}]]
)
def test_a_malformed_model_index_costs_the_scores_not_the_ledger_facts(index):
    batch = _read(_card(_with(("model-index",), index)))
    assert [m["model_name"] for m in batch.models] == ["Qwen/Qwen3-235B-A22B"]
    assert len(batch.facts) == N_FACTS  # every ledger fact still read
    assert not batch.benchmarks
    assert [r["check_name"] for r in batch.rejects] == ["model_index"]


def test_a_list_where_a_name_is_expected_is_read_as_that_name_not_a_crash():
    # polars failed the whole card folder with "could not append value: ["D"] of type list[str]"
    index = [{"name": ["D"], "results": [{**RESULT, "dataset": {**RESULT["dataset"], "name": ["D"]}}]}]
    batch = _read(_card(_with(("model-index",), index)))
    assert [b["benchmark"] for b in batch.benchmarks] == ["D"] and len(batch.facts) == N_FACTS


def test_an_unquoted_no_as_the_id_is_refused_not_read_as_false():
    batch = _read(_card(_with(("ledger", "id"), False)), "org__from-file.md")
    assert [m["model_name"] for m in batch.models] == ["org/from-file"]
    assert any("the boolean False" in r and "quote it" in r for r in _reasons(batch))


def test_a_fact_field_of_another_shape_is_refused_by_name():
    meta = _with(("ledger", "facts", 0, "quantity"), {"nested": "mapping"})
    batch = _read(_card(meta))
    assert batch.facts[0]["quantity"] is None  # validation rejects the fact, with its reason
    reject = next(r for r in batch.rejects if r["check_name"] == "field_type")
    assert reject["column_name"] == "quantity" and "expected text, found a mapping" in reject["reason"]


def test_a_decimal_comma_is_not_read_as_a_bigger_number():
    assert number("1,5") is None and number("1,234,567") == 1234567.0 and number("2,000.5") == 2000.5


def test_a_nul_in_the_prose_costs_the_prose_not_the_card():
    batch = _read(_card(META, BODY + "\x00 stray byte"))
    assert len(batch.models) == 1 and len(batch.facts) == N_FACTS
    assert [r["check_name"] for r in batch.rejects] == ["nul_bytes"]
    assert _read(b"---\nlicense: \x00mit\n---\n").rejects[0]["check_name"] == "binary"


def test_a_key_given_twice_is_reported():
    raw = _card(META).replace(b"ledger:\n", b"ledger:\n  id: first/id\nledger:\n", 1)
    batch = _read(raw)
    assert any(r["check_name"] == "duplicate_key" and "`ledger` is given twice" in r["reason"] for r in batch.rejects)


def test_deeply_nested_complex_keys_are_refused_before_the_c_parser():
    # `? ? ? ...` on one line overflowed libyaml's stack (a segmentation fault) at ~40,000 levels
    batch = _read(("---\n" + "? " * 50_000 + "a\n---\nbody").encode())
    assert batch.rejects[0]["check_name"] == "yaml_limits" and len(batch.models) == 1


PATHS = list(paths(META))


@settings(max_examples=max(150, EXAMPLES), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=SHAPES, operation=OPERATIONS)
def test_any_field_of_a_real_card_in_any_shape_gives_records_and_rejects_never_an_exception(path, value, operation):
    meta = mutate(META, path, operation, value)
    batch = _read(_card(meta))
    # The card still names its model (the file name stands in for a refused id), and every reject says why.
    assert len(batch.models) == 1
    assert all(r["reason"] for r in batch.rejects)
    # A mutation outside the ledger's fact list costs none of its facts; one inside it costs at most the fact touched.
    if path in (("ledger",), ("ledger", "facts")):
        pass  # the whole block or the whole list was changed: nothing is promised about the facts
    elif path[:2] == ("ledger", "facts"):
        assert len(batch.facts) >= N_FACTS - 1
    else:
        assert len(batch.facts) >= N_FACTS


# Tables: a bad byte, a repeated header or a column of another Parquet type costs a row or nothing, not the file.


def _epoch_rows(extra_header: str = "") -> bytes:
    header = "Model,Domain,Task,Parameters,Training compute (FLOP)" + extra_header
    rows = ["Good-LM,Language,Language modeling,7000000000,4.2e22", "Other-LM,Language,Chat,1000000000,1e21"]
    return (header + "\n" + "\n".join(r + ("," * extra_header.count(",")) for r in rows) + "\n").encode()


def test_one_byte_that_is_not_utf8_costs_its_row_not_the_file():
    from pipeline.sources import epoch

    raw = _epoch_rows().replace(b"Other-LM", b"Oth\xe9r-LM")
    batch = Batch("epoch")
    epoch.read_models(raw, batch)
    frames = batch.frames()
    assert frames["models"]["model_name"].to_list()[0] == "Good-LM"
    assert any(r["check_name"] == "utf8" and r["record_id"] == "row 3" for r in batch.rejects)


def test_a_repeated_or_padded_header_keeps_its_first_column():
    from pipeline.sources.tabular import read_table

    frame = read_table(b"Model,Model ,x\na,b,c\n")
    assert frame.columns == ["Model", "Model_2", "x"] and frame["Model"].to_list() == ["a"]


def test_parquet_columns_of_any_type_are_read_as_text():
    import io

    import polars as pl

    from pipeline.sources.tabular import read_table

    buffer = io.BytesIO()
    pl.DataFrame({"Model": ["a"], "tags": [["x", "y"]], "blob": [b"\xff"], "meta": [{"k": 1}], "n": [3]}).write_parquet(buffer)
    frame = read_table(buffer.getvalue())
    assert frame.row(0) == ("a", "x|y", "\ufffd", '{"k":1}', "3")


def test_a_huge_sparse_file_is_not_read_whole_and_an_unreadable_one_is_named(tmp_path, monkeypatch):
    import errno

    from pipeline.sources import files

    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:  # 64 GB apparent size, nothing on disk
        handle.truncate(64 * 1024**3)
    (tmp_path / "good.csv").write_bytes(_epoch_rows())
    (tmp_path / "bad_sector.csv").write_bytes(b"x")
    real_read = files._read

    def disk_error_on_one_file(item, max_bytes):  # the kernel's EIO for a failing sector, on that file only
        if item.name == "bad_sector.csv":
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(item))
        return real_read(item, max_bytes)

    monkeypatch.setattr(files, "_read", disk_error_on_one_file)
    problems = []
    found = dict(files.files_under(tmp_path, ("*.csv",), max_bytes=1024, problems=problems))
    assert len(found["huge.csv"]) == 1025 and found["good.csv"] == _epoch_rows()
    assert problems == ["bad_sector.csv: could not be read (Input/output error)"]


def test_invisible_and_control_characters_are_refused_in_names_and_escaped_in_logs():
    import re

    from pipeline.schemas import NO_CONTROL_CHARS, printable

    for name in ("Qwen3\u200b-8B", "model\u202egnp.exe", "a\x9bb", "x\x1b[31my"):
        assert not re.match(NO_CONTROL_CHARS, name)
    assert re.match(NO_CONTROL_CHARS, "DeepSeek-R1 (深度求索) v2.5")
    assert printable("card\x1b[2K\r2026-12-03 - dagster - ERROR - forged.md") == "card\\x1b[2K\\r2026-12-03 - dagster - ERROR - forged.md"


def test_a_few_dozen_aliases_that_expand_to_millions_of_nodes_are_refused():
    # under the 50-alias limit, each alias naming a list of five of the one before: 9 * 5**8 = 3.5 million nodes
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 5)}]" for i in range(1, 9)]
    batch = _read(("---\n" + "\n".join(lines) + "\nledger: {id: org/bomb}\n---\nbody").encode())
    assert batch.rejects[0]["check_name"] == "yaml_limits" and "aliases are expanded" in batch.rejects[0]["reason"]


def test_a_small_card_cannot_grow_the_outputs_by_thousands_of_records_or_huge_fields():
    from pipeline.sources.model_cards import MAX_CARD_RECORDS
    from pipeline.sources.records import MAX_FIELD_CHARS

    fact = META["ledger"]["facts"][0]
    result = META["model-index"][0]["results"][0]
    meta = _with(("ledger", "facts"), [copy.deepcopy(fact) for _ in range(MAX_CARD_RECORDS + 500)])  # copies: no YAML aliases
    meta["model-index"][0]["results"] = [copy.deepcopy(result) for _ in range(MAX_CARD_RECORDS + 10)]
    meta["ledger"]["aliases"] = [f"alias-{i}-" + "x" * 40 for i in range(400)]  # 18,000 characters joined
    batch = _read(_card(meta))
    assert len(batch.facts) == len(batch.benchmarks) == MAX_CARD_RECORDS
    assert batch.models[0]["aliases"] is None
    checks = [r["check_name"] for r in batch.rejects]
    assert checks.count("card_size") == 2 and "field_size" in checks
    assert all(len(v) <= MAX_FIELD_CHARS for m in batch.models for v in m.values() if isinstance(v, str))
