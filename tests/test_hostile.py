"""The committed corpus of hostile and broken inputs (tests/hostile/) through the whole pipeline:
no crash, every bad record in quarantine with a reason, every good record from the same files present."""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.outputs import CHART_ASSETS
from tests.conftest import DATA_DIR, paper_rows_reproduced

pytestmark = pytest.mark.timeout(300)
HOSTILE = Path(__file__).parent / "hostile"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    from assets.definitions import build_definitions

    root = tmp_path_factory.mktemp("hostile")
    oversized = root / "oversized_cards"
    oversized.mkdir()
    (oversized / "huge.md").write_bytes(b"---\nlicense: mit\n---\n" + b"a" * 1_100_000)  # over the 1 MB card cap
    catalogue = root / "sources.yaml"
    catalogue.write_text(
        (HOSTILE / "sources.yaml").read_text().replace("path: ", f"path: {HOSTILE}/")
        + f"  - {{name: oversized_cards, kind: hf_model_cards, path: {oversized}}}\n"
    )
    defs = build_definitions(catalogue_file=catalogue, data_dir=DATA_DIR, out_dir=root / "out", state_dir=root / "state")
    with dg.instance_for_test() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
    con = duckdb.connect(str(root / "out" / "warehouse.duckdb"), read_only=True)
    yield {"result": result, "out": root / "out", "con": con}
    con.close()


def test_no_crash_and_the_paper_is_still_reproduced(hostile_run):
    assert hostile_run["result"].success
    con = hostile_run["con"]
    assert paper_rows_reproduced(con) == 15


def test_every_bad_card_has_a_reason_and_no_card_is_lost(hostile_run):
    con = hostile_run["con"]
    assert con.execute("select count(*) from quarantine where coalesce(reason, '') = ''").fetchall()[0][0] == 0
    seen = {
        r[0]
        for r in con.execute(
            "select record_id from raw.models where source_name = 'hostile_cards' union "
            "select record_id from quarantine where source_name = 'hostile_cards'"
        ).fetchall()
    }
    assert {p.name for p in (HOSTILE / "cards").iterdir()} <= seen
    reasons = dict(
        con.execute("select record_id, check_name from quarantine where source_name in ('hostile_cards', 'oversized_cards')").fetchall()
    )
    assert reasons["alias_bomb.md"] == reasons["deep_nesting.md"] == "yaml_limits"
    assert reasons["binary.md"] == "binary" and reasons["latin1.md"] == "utf8" and reasons["huge.md"] == "size_cap"
    assert reasons["python_object.md"] == "yaml"  # safe loading: no object is constructed
    checks = {r[0] for r in con.execute("select check_name from quarantine where source_name like 'raw.%'").fetchall()}
    assert {"unique_per_source", "not_nullable", "greater_than(0)", "less_than_or_equal_to(1e+30)", "str_matches('^https://')"} <= checks


def test_good_records_in_the_same_files_come_through(hostile_run):
    con = hostile_run["con"]
    facts = {(r[0], r[1]): r[2] for r in con.execute("select model_id, quantity, value from facts").fetchall()}
    assert facts[("hostile/bad-values", "training_tokens")] == 1e12  # the one good fact of a bad card
    assert facts[("hostile/bad-values", "aime_2024_score")] == 42.5  # and its one good score
    assert facts[("Good-LM", "training_flops")] == 4.2e22
    assert ("good/valid-model", "training_flops") in facts
    assert con.execute("select score_pct from validated.benchmark_results where model_name = 'good-model'").fetchall() == [(50.0,)]
    assert con.execute("select count(*) from validated.paper_table1 where model_name = 'Good Paper Model'").fetchall()[0][0] == 1
    # pass@1 from the sample log: question 1 is 1 of 2 right, question 2 has one usable sample, right -> 75 %
    assert con.execute("select score_pct from core.benchmark_scores where source_name = 'hostile_samples'").fetchall() == [(75.0,)]


def test_names_never_become_file_names_or_markup(hostile_run):
    out = hostile_run["out"]
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {
        "warehouse.duckdb",
        "report/index.html",
        "tables/model_comparison.csv",
        "tables/hardware_comparison.csv",
        *(f"charts/{a.key.path[-1]}.{x}" for a in CHART_ASSETS for x in ("png", "svg", "html")),
    }
    report = (out / "report" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "<img src=x" not in report


def test_exported_csv_cells_cannot_run_as_formulas(hostile_run):
    with (hostile_run["out"] / "tables" / "model_comparison.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    text_cells = [v for row in rows for k, v in row.items() if v and not _is_number(v)]
    assert not [v for v in text_cells if v[0] in "=+-@\t\r"]
    assert any(v.startswith("'=HYPERLINK") for v in text_cells)


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def test_cards_of_unexpected_shapes_lose_only_the_bad_part(hostile_run):
    # issue 16: each raised an exception in the source step, or took the run down (deep complex keys)
    con = hostile_run["con"]
    reasons = {}
    for record_id, check in con.execute(
        "select record_id, check_name from quarantine where source_name = 'hostile_cards' and record_id like 'shape_%'"
    ).fetchall():
        reasons.setdefault(record_id, set()).add(check)
    assert reasons == {
        "shape_aliases_number.md": {"field_type"},
        "shape_model_index_list.md": {"model_index"},
        "shape_id_boolean.md": {"field_type"},
        "shape_nul_in_prose.md": {"nul_bytes"},
        "shape_duplicate_ledger.md": {"duplicate_key"},
        "shape_deep_complex_keys.md": {"yaml_limits"},
    }
    facts = {
        r[0]: r[1] for r in con.execute("select model_id, count(*) from facts where source_name = 'hostile_cards' group by 1").fetchall()
    }
    for model in ("hostile/aliases-number", "hostile/index-as-list", "hostile/nul-prose"):
        assert facts[model] >= 3  # the ledger facts of a card with a bad part are all kept


def test_no_card_can_take_over_another_model_by_a_lookalike_name_an_alias_or_a_path_tail(hostile_run):
    """The poison_* cards each claim Qwen3-8B (an alias, `evil/Qwen3-8B`, a Cyrillic `е`, a soft hyphen, a table in
    the body) with absurd reported figures; Qwen3-8B keeps the embedded card's figures and sources."""
    con = hostile_run["con"]
    [(flops, sources)] = con.execute(
        "select training_flops, sources from model_comparison where scenario = 'default' and model_id = 'Qwen/Qwen3-8B'"
    ).fetchall()
    assert flops < 1e25 and "hostile_cards" not in sources
    # nor can a table in a card's body speak for it: its rows are filed under the card's organisation, or dropped
    assert (
        con.execute("select count(*) from core.facts where model_id = 'Qwen/Qwen3-8B' and source_name = 'hostile_cards'").fetchall()[0][0]
        == 0
    )
    table_names = {r[0] for r in con.execute("select model_name from raw.model_facts where record_id like 'poison_table%'").fetchall()}
    assert table_names == {"evil/Qwen3-8B", "evil/qwen-helper"}
    assert (
        con.execute(
            "select count(*) from core.name_resolution where source_name = 'hostile_cards' and model_id = 'Qwen/Qwen3-8B'"
        ).fetchall()[0][0]
        == 0
    )
    kept_apart = {r[0] for r in con.execute("select model_id from core.models where sources = 'hostile_cards'").fetchall()}
    assert {"evil/alias-claim", "evil/alias-claim-2", "evil/Qwen3-8B"} <= kept_apart
    for card in ("poison_alias.md", "poison_alias_other_org.md"):  # the second declares an organisation of its own
        refused = con.execute(
            "select reason from quarantine where source_name = 'core.name_resolution' and record_id = ?", [f"hostile_cards:{card}"]
        ).fetchall()
        assert len(refused) == 2 and all("already the name of model `Qwen/Qwen3-8B`" in r[0] for r in refused), card
    checks = dict(con.execute("select record_id, check_name from quarantine where source_name = 'raw.models'").fetchall())
    assert checks["Qw\u0435n/Qw\u0435n3-8B"].startswith("no_lookalike_letters")  # named by the card's ledger id
    assert checks["Qwen/Qwen3\u00ad-8B"].startswith("no_invisible_characters")
