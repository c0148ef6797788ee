"""The code location `workspace.yaml` loads: every asset, check, job, schedule, sensor and resource."""

from __future__ import annotations

import dagster as dg

from assets.automation import jobs, schedules, sensors
from assets.costs import cost_assets
from assets.ingest import ingest_assets
from assets.marts import mart_assets, mart_checks
from assets.outputs import output_assets
from assets.reference import reference_assets
from assets.resources import build_resources
from assets.sql_assets import core_assets, staging_assets
from assets.validate import validated_assets, validated_checks

all_assets = [*ingest_assets, *reference_assets, *validated_assets, *staging_assets, *core_assets, *cost_assets,
              *mart_assets, *output_assets]
all_checks = [*validated_checks, *mart_checks]


def build_definitions(**resource_paths) -> dg.Definitions:
    # DuckDB has one writer, so steps run one after another in the run's own process.
    return dg.Definitions(assets=all_assets, asset_checks=all_checks, jobs=jobs, schedules=schedules,
                          sensors=sensors, resources=build_resources(**resource_paths),
                          executor=dg.in_process_executor)


defs = build_definitions()
