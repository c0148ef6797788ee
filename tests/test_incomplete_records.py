"""Real records with fields deleted at random: the whole graph still materialises, and no good record is lost.

Rows are drawn from the embedded snapshots (real Epoch AI and Open LLM Leaderboard records), random cells are
set to null, and the default catalogue is run on them beside the paper's cards. A missing value is not bad
input: a model with no compute, a score with no model date, a version with no display name all stay. A row
that lost what makes it a record (a benchmark row's model or score) is quarantined with a reason, never
dropped silently."""

from __future__ import annotations

import random

import dagster as dg
import duckdb
import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipeline.paths import PROJECT_ROOT
from pipeline.sources import epoch
from pipeline.sources.tabular import pick
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.timeout(900)
SNAPSHOTS = PROJECT_ROOT / "data" / "snapshots"
ROWS_PER_SOURCE = 40


def _damaged(frame: pl.DataFrame, rng: random.Random, share: float) -> pl.DataFrame:
    rows = frame.sample(min(ROWS_PER_SOURCE, frame.height), seed=rng.randrange(2**32))
    columns = {}
    for name in rows.columns:
        keep = pl.Series([rng.random() >= share for _ in range(rows.height)])
        columns[name] = pl.when(keep).then(pl.col(name)).otherwise(None)
    return rows.with_columns(**columns)


def _catalogue(tmp_path, rng: random.Random, share: float) -> tuple:
    """The default catalogue with each snapshot replaced by a damaged sample of it; the damaged frames by source."""
    doc = yaml.safe_load((PROJECT_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    damaged = {}
    for source in doc["sources"]:
        path = (PROJECT_ROOT / source["path"]).resolve()
        if path.parent == SNAPSHOTS:
            frame = _damaged(pl.read_parquet(path), rng, share)
            path = tmp_path / path.name
            frame.write_parquet(path)
            damaged[source["name"]] = frame
        source["path"] = str(path)
    catalogue = tmp_path / "sources.yaml"
    catalogue.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return catalogue, damaged


def _good_benchmark_rows(frame: pl.DataFrame) -> set[tuple[str, str]]:
    """(model name, score as written) of the rows that still have a model version, a score and no failed status."""
    version, score = pick(frame, *epoch.BENCHMARK_COLUMNS["version"]), pick(frame, *epoch.BENCHMARK_COLUMNS["score"])
    status = pick(frame, *epoch.BENCHMARK_COLUMNS["status"])
    good = set()
    for row in frame.iter_rows(named=True):
        if row[version] is None or row[score] is None or (status and row[status] not in (None, "Success", "success")):
            continue
        good.add((epoch.split_version(str(row[version]))[0], str(row[score])))
    return good


def _good_models(frame: pl.DataFrame) -> set[str]:
    """The notable-models rows that still have a name and are still language models by the reader's own rule."""
    name, domain, task = (pick(frame, *epoch.MODEL_COLUMNS[r]) for r in ("name", "domain", "task"))
    return {
        " ".join(str(row[name]).split())
        for row in frame.iter_rows(named=True)
        if row[name] is not None
        and epoch.is_language_model(
            " ".join(str(row[name]).split()), row[domain] or "", row[task] or "", ("Language",), epoch.LANGUAGE_MODEL_TASKS
        )
    }


# A whole run per example: a few examples, and no shrinking (a failure's seed and share already say what to rerun).
@settings(
    max_examples=3, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**31), share=st.sampled_from([0.1, 0.3, 0.6]))
def test_the_graph_materialises_and_keeps_every_good_record_when_real_fields_are_deleted(tmp_path_factory, seed, share):
    from assets.definitions import build_definitions

    root = tmp_path_factory.mktemp("damaged")
    catalogue, damaged = _catalogue(root, random.Random(seed), share)
    defs = build_definitions(catalogue_file=catalogue, data_dir=DATA_DIR, out_dir=root / "out", state_dir=root / "state")
    with dg.instance_for_test() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    with duckdb.connect(str(root / "out" / "warehouse.duckdb"), read_only=True) as con:
        for source in ("epoch_gpqa_diamond", "epoch_otis_mock_aime", "epoch_benchmark_runs"):
            kept = set(
                con.execute("select model_name, score_raw from validated.benchmark_results where source_name = ?", [source]).fetchall()
            )
            missing = _good_benchmark_rows(damaged[source]) - kept
            assert not missing, (source, sorted(missing)[:5])
            # a row that lost its model or score is not silently gone: it is quarantined with a reason
            frame = damaged[source]
            version = pick(frame, *epoch.BENCHMARK_COLUMNS["version"])
            score = pick(frame, *epoch.BENCHMARK_COLUMNS["score"])
            lost = frame.filter(pl.col(version).is_null() | pl.col(score).is_null()).height
            # (the reader quarantines under the source's name, validation under the table's, the record kept whole)
            quarantined = con.execute(
                """
                select count(*) from ops.quarantine
                where (source_name = ? or (json_valid(raw_content) and json_extract_string(raw_content, '$.source_name') = ?))
                  and reason is not null""",
                [source, source],
            ).fetchone()[0]
            assert quarantined >= lost, (source, quarantined, lost)
        models = {
            r[0] for r in con.execute("select model_name from validated.models where source_name = 'epoch_notable_models'").fetchall()
        }
        assert _good_models(damaged["epoch_notable_models"]) <= models
        # every such model is in the comparison under `default`, with nulls where its fields were deleted
        compared = con.execute("""
            select count(distinct r.model_name) from core.name_resolution as r
            join model_comparison as m on m.model_id = r.model_id and m.scenario = 'default'
            where r.source_name = 'epoch_notable_models'""").fetchone()[0]
        assert compared == len(models)
        assert con.execute("select count(*) from model_comparison where scenario = 'paper'").fetchone()[0] == 16
