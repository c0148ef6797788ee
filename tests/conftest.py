from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipeline.paths import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
REALDATA = PROJECT_ROOT.parent / "shared" / "realdata"
# `make test-fast` runs the property tests on a fraction of their cases (the inner loop wants a quick signal);
# `make test`, and so CI, runs the full search.
EXAMPLES_SCALE = float(os.environ.get("LEDGER_EXAMPLES_SCALE", "1"))


def examples(n: int) -> int:
    """Hypothesis's `max_examples` for a property test that searches `n` cases in the full suite."""
    return max(10, round(n * EXAMPLES_SCALE))


def make_run_env(tmp_path: Path, catalogue: Path | None = None) -> dict[str, str]:
    """The environment `make run` gives `python -m assets.run`, with its Dagster home (holding the project's
    dagster.yaml), out/ and state folders in `tmp_path`: the same home for every run of one test."""
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return os.environ | {
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(PROJECT_ROOT),
        "LEDGER_DATA_DIR": str(DATA_DIR),
        "LEDGER_OUT_DIR": str(tmp_path / "out"),
        "LEDGER_STATE_DIR": str(tmp_path / "state"),
        **({"LEDGER_SOURCES": str(catalogue)} if catalogue else {}),
    }


def paper_rows_reproduced(con) -> int:
    """Table 1's rows the paper scenario reproduces with no discrepancy (the paper has 15)."""
    sql = "select count(*) from model_comparison where scenario = 'paper' and paper_discrepancies = '' and paper_training_flops is not null"
    return con.execute(sql).fetchall()[0][0]


def realdata(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared/realdata is absent)")
    return path


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """The whole graph, assets and checks, on the embedded default, into temporary out/ and state folders."""
    from assets.definitions import build_definitions

    root = tmp_path_factory.mktemp("ledger")
    out_dir, state_dir = root / "out", root / "state"
    defs = build_definitions(data_dir=DATA_DIR, out_dir=out_dir, state_dir=state_dir)
    with dg.instance_for_test() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
        checks = {
            (
                str(e.asset_check_evaluation_data.asset_key.to_user_string()),
                e.asset_check_evaluation_data.check_name,
            ): e.asset_check_evaluation_data
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        }
    return {"result": result, "out": out_dir, "state": state_dir, "checks": checks}


# The inner loop's subset (`make test-fast`): modules that test pure functions, adapters, single SQL files and
# fetching against a loopback server, and never start a Dagster run. `make test` still runs everything.
UNIT_MODULES = {
    "test_costmodel",
    "test_definitions",
    "test_labels",
    "test_resolution",
    "test_validation",
    "test_totality",
    "test_fuzz",
    "test_card_tables",
    "test_sql",
    "test_fetch",
    "test_shape_fuzz",
    "test_hub_listing",
}
NOT_UNIT = {  # a whole Dagster run each
    "test_a_whole_run_over_mutants_beside_good_files_keeps_every_good_record",
    "test_a_catalogue_entry_lists_lands_parses_and_costs_and_a_second_run_asks_only_for_what_changed",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in UNIT_MODULES and item.originalname not in NOT_UNIT:
            item.add_marker(pytest.mark.unit)
