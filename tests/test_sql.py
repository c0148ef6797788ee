"""The `sql/` files against an in-memory DuckDB holding small hand-made tables."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipeline import warehouse


@pytest.fixture()
def con():
    connection = duckdb.connect()
    warehouse.install_macros(connection)
    yield connection
    connection.close()


@pytest.mark.parametrize("x, digits, expected", [(4662004.7, 3, 4660000.0), (0.20138, 3, 0.201), (881.33, 4, 881.3), (7.488e23, 3, 7.49e23)])
def test_round_sig(con, x, digits, expected):
    assert con.execute("select round_sig(?::double, ?)", [x, digits]).fetchall()[0][0] == pytest.approx(expected)


def test_same_at_sig_compares_at_the_printed_precision(con):
    rows = con.execute("select same_at_sig(7.488e23, 7.49e23, 3), same_at_sig(342105.26, 3.8e5, 3), "
                       "same_at_sig(609.65, 610.0, 3)").fetchall()[0]
    assert rows == (True, False, True)


def _cards(con, rows):
    frame = pl.DataFrame(rows, schema={"model_id": pl.Utf8, "name": pl.Utf8, "aliases": pl.Utf8})
    warehouse.write_table(con, "validated", "model_cards", frame)


def test_stg_paper_table1_matches_printed_names_through_aliases(con):
    _cards(con, [{"model_id": "Qwen/Qwen3-8B", "name": "Qwen3-8B", "aliases": "Qwen 3 8B"},
                 {"model_id": "x/phi", "name": "Phi-4", "aliases": "Phi-4 14B"}])
    warehouse.build_from_sql(con, "staging", "stg_model_names")
    printed = pl.DataFrame({"model_name": ["Qwen 3 8B", "Phi-4 14B", "Unknown 9B"], "model_type": ["Vanilla"] * 3,
                            "row_number": [1, 2, 3]})
    for column in ("training_flops", "gpu_hours_h100", "tco2e", "gpqa_diamond", "aime_2024"):
        printed = printed.with_columns(pl.lit(1.0).alias(column), pl.lit("1").alias(f"{column}_printed"),
                                       pl.lit(1).alias(f"{column}_sig_digits"))
    warehouse.write_table(con, "validated", "paper_table1", printed)
    warehouse.build_from_sql(con, "staging", "stg_paper_table1")
    matched = dict(con.execute("select model_name, model_id from staging.stg_paper_table1").fetchall())
    assert matched == {"Qwen 3 8B": "Qwen/Qwen3-8B", "Phi-4 14B": "x/phi", "Unknown 9B": None}


def test_stg_benchmark_scores_maps_dataset_type_or_name_to_canonical_ids(con):
    warehouse.write_table(con, "ref", "benchmarks", pl.DataFrame({
        "benchmark_id": ["gpqa_diamond", "aime_2024"],
        "aliases": ["gpqa diamond|idavidrein/gpqa:gpqa_diamond", "aime 2024|aime24"]}))
    warehouse.write_table(con, "validated", "benchmark_results", pl.DataFrame({
        "model_id": ["m", "m", "m"], "dataset_name": ["GPQA (diamond split)", "AIME 2024", "OTIS Mock AIME"],
        "dataset_type": ["Idavidrein/gpqa", None, None], "dataset_config": ["gpqa_diamond", None, None],
        "metric_type": ["pass@1"] * 3, "score": [50.0, 40.0, 30.0], "source": ["s"] * 3, "url": ["u"] * 3,
        "card_path": ["c"] * 3}))
    warehouse.build_from_sql(con, "staging", "stg_benchmark_scores")
    mapped = dict(con.execute("select dataset_name, benchmark_id from staging.stg_benchmark_scores").fetchall())
    # OTIS Mock AIME is a different benchmark and must not be merged into AIME 2024.
    assert mapped == {"GPQA (diamond split)": "gpqa_diamond", "AIME 2024": "aime_2024", "OTIS Mock AIME": None}


def test_every_sql_file_is_lower_case_and_ends_in_a_select():
    from pipeline.paths import SQL_DIR
    for path in sorted(SQL_DIR.glob("*/*.sql")):
        text = path.read_text()
        code = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
        assert code == code.lower() or "'" in code, path  # string literals may hold capitals
        if path.parent.name != "macros":
            assert "\nselect" in code or code.lstrip().startswith("select"), path
            assert warehouse.referenced_tables(text), path


def test_publish_swaps_in_a_complete_copy_and_exposes_marts_unqualified(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "out" / "warehouse.duckdb"
    with warehouse.connect(work) as con:
        warehouse.write_table(con, "marts", "model_comparison", pl.DataFrame({"scenario": ["paper"], "model": ["a"]}))
        warehouse.write_table(con, "raw", "model_cards", pl.DataFrame({"model_id": ["a"]}))
    counts = warehouse.publish(work, published)
    assert counts == {"marts.model_comparison": 1, "raw.model_cards": 1}
    with warehouse.connect(published, read_only=True) as con:
        assert con.execute("select model from model_comparison").fetchall() == [("a",)]
    assert [p.name for p in published.parent.iterdir()] == ["warehouse.duckdb"]  # no temp files left behind
