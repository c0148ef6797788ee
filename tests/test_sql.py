"""The `sql/` files against an in-memory DuckDB holding small hand-made tables."""

from __future__ import annotations

import re

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


@pytest.mark.parametrize(
    "x, digits, expected", [(4662004.7, 3, 4660000.0), (0.20138, 3, 0.201), (881.33, 4, 881.3), (7.488e23, 3, 7.49e23)]
)
def test_round_sig(con, x, digits, expected):
    assert con.execute("select round_sig(?::double, ?)", [x, digits]).fetchall()[0][0] == pytest.approx(expected)


def test_same_at_sig_compares_at_the_printed_precision(con):
    rows = con.execute(
        "select same_at_sig(7.488e23, 7.49e23, 3), same_at_sig(342105.26, 3.8e5, 3), same_at_sig(609.65, 610.0, 3)"
    ).fetchall()[0]
    assert rows == (True, False, True)


def test_stg_benchmark_records_maps_names_to_canonical_ids_and_keeps_the_rest_apart(con):
    warehouse.write_table(
        con,
        "ref",
        "benchmarks",
        pl.DataFrame(
            {
                "benchmark_id": ["gpqa_diamond", "aime_2024", "open_llm_gpqa"],
                "aliases": ["gpqa diamond|idavidrein/gpqa:gpqa_diamond", "aime 2024|aime24", "open_llm_leaderboard:gpqa"],
            }
        ),
    )
    results = pl.DataFrame(
        {
            "source_name": ["s"] * 4,
            "record_id": ["r"] * 4,
            "model_name": ["m"] * 4,
            "benchmark": ["GPQA (diamond split)", "AIME 2024", "OTIS Mock AIME", "open_llm_leaderboard:gpqa"],
            "dataset_type": ["Idavidrein/gpqa", None, None, None],
            "dataset_config": ["gpqa_diamond", None, None, None],
            "metric": ["pass@1"] * 4,
            "score": [50.0, 40.0, 30.0, 0.3],
            "scale": ["percent"] * 3 + ["fraction"],
            "score_pct": [50.0, 40.0, 30.0, 30.0],
        }
    )
    from pipeline.sources.records import BENCHMARK_COLUMNS

    warehouse.write_table(
        con,
        "validated",
        "benchmark_results",
        results.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in BENCHMARK_COLUMNS.items() if c not in results.columns]),
    )
    warehouse.build_from_sql(con, "staging", "stg_benchmark_records")
    mapped = dict(con.execute("select benchmark_as_written, benchmark_id from staging.stg_benchmark_records").fetchall())
    # OTIS Mock AIME is not AIME 2024, and the leaderboard's GPQA is not GPQA Diamond: neither is merged.
    assert mapped == {
        "GPQA (diamond split)": "gpqa_diamond",
        "AIME 2024": "aime_2024",
        "OTIS Mock AIME": "unmapped:OTIS Mock AIME",
        "open_llm_leaderboard:gpqa": "open_llm_gpqa",
    }


def test_stg_fact_records_maps_an_accelerator_only_when_exactly_one_matches(con):
    warehouse.write_table(
        con,
        "ref",
        "accelerators",
        pl.DataFrame({"accelerator_id": ["h100_sxm", "a100_sxm_80gb", "h200_sxm"], "aliases": ["H100 SXM (80GB)|H100", "A100", "H200"]}),
    )
    facts = pl.DataFrame(
        {"accelerator": ["NVIDIA H100 SXM5 80GB", "NVIDIA V100,NVIDIA A100", "Nvidia H100 80G,NVIDIA A100", "Google TPU v4", None]}
    )
    facts = facts.with_columns(
        source_name=pl.lit("s"),
        record_id=pl.lit("r"),
        model_name=pl.lit("m"),
        quantity=pl.lit("gpu_count"),
        value=pl.lit(8.0),
        unit=pl.lit("GPUs"),
        kind=pl.lit("estimated"),
        source=pl.lit("x"),
        url=pl.lit("https://x"),
        basis=pl.lit(None, dtype=pl.Utf8),
        scope=pl.lit(None, dtype=pl.Utf8),
        note=pl.lit(None, dtype=pl.Utf8),
        as_of=pl.lit(None, dtype=pl.Utf8),
        confidence=pl.lit(None, dtype=pl.Utf8),
    )
    warehouse.write_table(con, "validated", "model_facts", facts)
    warehouse.build_from_sql(con, "staging", "stg_fact_records")
    got = con.execute("select accelerator_as_written, accelerator_id from staging.stg_fact_records order by all").fetchall()
    assert dict(got) == {
        "Google TPU v4": None,
        "NVIDIA H100 SXM5 80GB": "h100_sxm",
        "NVIDIA V100,NVIDIA A100": "a100_sxm_80gb",
        "Nvidia H100 80G,NVIDIA A100": None,
        None: None,
    }


def test_every_sql_file_is_lower_case_and_ends_in_a_select():
    from pipeline.paths import SQL_DIR

    for path in sorted(SQL_DIR.glob("*/*.sql")):
        text = path.read_text()
        code = "\n".join(line.split("--")[0] for line in text.splitlines())
        outside_strings = re.sub(r"'(?:[^']|'')*'", "''", code)  # a string literal may hold capitals; nothing else may
        assert outside_strings == outside_strings.lower(), path
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


def test_a_table_written_in_slices_holds_every_slice_or_stays_as_it_was(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        frame = pl.DataFrame({"model_id": [f"m{i}" for i in range(10)], "gpu_hours": [float(i) for i in range(10)]})
        slices = frame.iter_slices(3)
        assert warehouse.write_table_in_slices(con, "costs", "t", next(slices), slices) == 10
        assert warehouse.read_table(con, "costs", "t").equals(frame)
        # a slice that does not fit fails the whole write, and the table is still the complete previous one
        bad = pl.DataFrame({"model_id": ["x"], "gpu_hours": ["not a number"]})
        with pytest.raises(duckdb.Error):
            warehouse.write_table_in_slices(con, "costs", "t", frame.head(2), iter([bad]))
        assert warehouse.read_table(con, "costs", "t").equals(frame)
        assert not warehouse.table_exists(con, "costs", "t__building")
        # one a killed step left behind is never published
        warehouse.write_table(con, "costs", "t__building", frame.head(1))
    warehouse.publish(tmp_path / "w.duckdb", tmp_path / "published.duckdb")
    with warehouse.connect(tmp_path / "published.duckdb", read_only=True) as con:
        assert warehouse.table_exists(con, "costs", "t") and not warehouse.table_exists(con, "costs", "t__building")


def test_a_schema_check_lists_a_missing_column_as_a_failure(tmp_path):
    # The mart's schema check reads only its schema's columns; one the table lacks is a listed failure, not an error.
    from assets.sql_assets import _schema_check
    from pipeline.schemas import HardwareComparison

    with warehouse.connect(tmp_path / "w.duckdb") as con:
        warehouse.write_table(
            con,
            "marts",
            "hardware_comparison",
            pl.DataFrame(
                {
                    "scenario": ["paper"],
                    "workload_id": ["w"],
                    "accelerator_id": ["h100_sxm"],
                    "training_flops": [1e24],
                    "mfu": [0.4],
                    "gpu_hours": [10.0],
                    "extra": ["not in the schema"],
                }
            ),
        )  # no tco2e
        result = _schema_check("marts", "hardware_comparison", HardwareComparison).evaluate(con)
    assert not result.passed
    assert [(f["check_name"], "tco2e" in f["reason"]) for f in result.metadata["failures"].data] == [("column_in_dataframe", True)]


def test_a_kept_table_gains_the_columns_newer_code_writes(tmp_path):
    # an upgraded checkout writes a column the working database's table (from an earlier version) lacks
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path) as db:
        warehouse.replace_source_rows(db, "raw", "scores", "a", pl.DataFrame({"source_name": ["a"], "score": [1.0]}))
        warehouse.replace_source_rows(db, "raw", "scores", "b", pl.DataFrame({"source_name": ["b"], "score": [2.0], "kind": ["estimated"]}))
        rows = db.execute("select source_name, score, kind from raw.scores order by 1").fetchall()
    assert rows == [("a", 1.0, None), ("b", 2.0, "estimated")]
