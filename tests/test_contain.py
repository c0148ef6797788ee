"""A parser that crashes, runs away or exhausts memory costs the one input it was reading (pipeline/contain.py)."""

import ctypes

import pytest
import yaml

from pipeline import contain, ingest
from pipeline.catalogue import Source
from pipeline.fetch import SnapshotStore
from pipeline.sources import model_cards

DEEP_COMPLEX_KEYS = "? " * 100_000 + "a"  # libyaml's loader recurses once per `?` and overflows the C stack


def unguarded_yaml(text: str):
    """libyaml's loader without the project's depth check in front of it: the real native crash."""
    return yaml.load(text, Loader=yaml.CSafeLoader)


def spin(_: str):
    while True:
        pass


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes << 20))


def test_a_real_libyaml_crash_costs_only_its_input_and_the_next_call_still_works():
    results = contain.map_contained(unguarded_yaml, [("a: 1",), (DEEP_COMPLEX_KEYS,), ("b: [2]",)], chunk=3)
    assert results[0] == {"a": 1} and results[2] == {"b": [2]}
    assert isinstance(results[1], contain.Died) and "SIGSEGV" in results[1].reason
    assert contain.map_contained(unguarded_yaml, [("c: 3",)]) == [{"c": 3}]  # its worker was replaced


def test_a_runaway_parse_is_stopped_at_its_time_limit():
    limits = contain.Limits(seconds=1.0)
    results = contain.map_contained(spin, [("x",)], limits=limits)
    assert isinstance(results[0], contain.Died) and "1 s limit" in results[0].reason
    assert contain.map_contained(allocate, [(1,)], limits=limits) == [1 << 20]


def test_a_parse_over_the_memory_limit_fails_alone():
    limits = contain.Limits(memory_bytes=256 << 20)
    results = contain.map_contained(allocate, [(1,), (2_048,), (3,)], chunk=3, limits=limits)
    assert results[0] == 1 << 20 and results[2] == 3 << 20
    assert isinstance(results[1], contain.Died) and "memory limit" in results[1].reason


def test_an_exception_in_a_parse_is_returned_with_its_type():
    [died] = contain.map_contained(allocate, [("not a number",)])
    assert isinstance(died, contain.Died) and "TypeError" in died.reason


def test_work_spread_over_two_workers_comes_back_in_order():
    calls = [(f"n{i}: {i}",) for i in range(23)]
    assert contain.map_contained(unguarded_yaml, calls, workers=2, chunk=4) == [{f"n{i}": i} for i in range(23)]


def test_where_no_worker_can_start_the_parse_runs_here_and_says_so(monkeypatch):
    def refuse(*args, **kwargs):
        raise contain.Unavailable("no parser process could be started: daemonic processes are not allowed to have children")

    contain.shutdown()
    monkeypatch.setattr(contain, "_Worker", refuse)
    results, note = contain.map_guarded(unguarded_yaml, [("a: 1",), ("[",)])
    assert results[0] == {"a": 1} and isinstance(results[1], contain.Died)
    assert note and "without a crash guard" in note
    batches = model_cards.parse_card_inputs([("org__m.md", b"---\nlicense: mit\n---\n# m\n")], "s")
    assert batches[0].models and any(r["check_name"] == "source" and "crash guard" in r["reason"] for r in batches[0].rejects)
    contain.shutdown()


def crashing_parse(source, name, raw):
    """The real adapter, except that one file kills its process the way a native parser's fault would."""
    if name == "crash.csv":
        ctypes.string_at(0)
    return REAL_PARSE(source, name, raw)


REAL_PARSE = ingest._parse


def test_a_source_file_that_kills_its_parser_is_quarantined_and_the_others_are_read(tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    folder.mkdir()
    good = b"Model version,Best score (across scorers),Release date,Organization,Country\nm-1,0.5,2025-01-01,Org,US\n"
    (folder / "a.csv").write_bytes(good)
    (folder / "crash.csv").write_bytes(good.replace(b"m-1", b"m-2"))
    (folder / "z.csv").write_bytes(good.replace(b"m-1", b"m-3"))
    monkeypatch.setattr(ingest, "_parse", crashing_parse)
    source = Source(name="runs", kind="epoch_benchmarks", path=folder, options={"benchmark": "GPQA diamond"})
    result = ingest.read_source(source, SnapshotStore(tmp_path / "snapshots"))
    assert sorted(result.frames["benchmarks"]["model_name"]) == ["m-1", "m-3"]
    [row] = [r for r in result.frames["rejects"].to_dicts() if r["record_id"] == "crash.csv"]
    assert row["check_name"] == "unreadable" and "SIGSEGV" in row["reason"]


@pytest.fixture(autouse=True, scope="module")
def _stop_workers():
    yield
    contain.shutdown()


def test_a_larger_input_is_given_more_time_and_memory():
    limits = contain.Limits()
    small, large = [("a.md", b"x" * 1_000)], [("big.csv", b"x" * 200_000_000)]
    assert limits.deadline(small) == pytest.approx(contain.SECONDS_PER_CHUNK, abs=0.01)
    assert limits.deadline(large) == pytest.approx(contain.SECONDS_PER_CHUNK + 400)
    assert limits.memory(small) == contain.MEMORY_BYTES < limits.memory(large) == 24 * 200_000_000
