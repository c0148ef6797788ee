"""The code location `workspace.yaml` (and `dg`, through pyproject's `[tool.dg]`) loads: every asset, check, job,
schedule, sensor and resource.

The catalogue (`sources.yaml`, or `LEDGER_SOURCES`) decides which source assets exist. `defs` is built when Dagster
asks for it, not when the module is imported: importing touches no file and reads no catalogue.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.automation import build_automation, with_conventions
from assets.core import core_python_assets
from assets.costs import cost_assets
from assets.ingest import build_ingest
from assets.marts import mart_assets
from assets.outputs import output_assets
from assets.reference import reference_assets
from assets.resources import build_resources
from assets.sql_assets import core_assets, staging_assets
from assets.validate import build_validated
from pipeline.catalogue import catalogue_path, load_catalogue


def build_definitions(catalogue_file: Path | None = None, **resource_paths) -> dg.Definitions:
    catalogue_file = catalogue_file or catalogue_path()
    catalogue = load_catalogue(catalogue_file)
    source_assets = build_ingest(catalogue)
    validated_assets = build_validated(catalogue)
    jobs, schedules, sensors = build_automation(catalogue)
    assets = with_conventions(
        [
            *source_assets,
            *reference_assets,
            *validated_assets,
            *staging_assets,
            *core_python_assets,
            *core_assets,
            *cost_assets,
            *mart_assets,
            *output_assets,
        ]
    )
    # DuckDB has one writer, so steps run one after another in the run's own process. Checks run inside the
    # step of the asset they check (assets/checks.py).
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        resources=build_resources(sources_file=catalogue_file, **resource_paths),
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
