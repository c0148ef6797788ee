"""Jobs, the daily leaderboard schedule and the model-card sensor (both running by default)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import dagster as dg

from assets.housekeeping import dead_run_reaper
from assets.ingest import source_asset_key
from pipeline.catalogue import Source
from pipeline.paths import PROJECT_ROOT
from pipeline.registry import check_names
from pipeline.sources.kinds import REFRESH

# Downstream of the sources, an asset is rebuilt when the data version of something it depends on
# changed (or is about to): an unchanged source re-materialised by the schedule triggers nothing.
ANY_DEP_DATA_CHANGED = dg.AutomationCondition.any_deps_match(
    (dg.AutomationCondition.data_version_changed() & ~dg.AutomationCondition.executed_with_root_target())
    | dg.AutomationCondition.will_be_requested()
).with_label("any_deps_data_changed")
ON_UPSTREAM_DATA_CHANGE = (
    dg.AutomationCondition.eager().replace("any_deps_updated", ANY_DEP_DATA_CHANGED).with_label("eager_on_upstream_data_change")
)

automation_sensor = dg.AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Rebuilds whatever depends on a source whose data changed (each asset's automation condition).",
)


OWNERS = ["team:distill-ledger"]


@functools.cache
def code_version() -> str:
    """One version of the project's Python code and templates. An asset computed from its upstream tables alone
    carries it, so Dagster derives the asset's data version from this and its inputs' versions: re-running it
    on unchanged inputs gives the same version and triggers nothing downstream, and a code change does."""
    digest = hashlib.sha256()
    for folder in ("pipeline", "assets"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.suffix in {".py", ".j2", ".sql", ".yaml"} and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def with_conventions(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """Every asset gets the team as owner; every asset but the sources gets the data-change condition and, unless
    it has its own, the project's code version (the sources and reference tables version their data instead)."""

    def convention(spec: dg.AssetSpec) -> dg.AssetSpec:
        spec = spec.replace_attributes(owners=OWNERS)
        if spec.key.path[0] == "sources":
            return spec
        return spec.replace_attributes(automation_condition=ON_UPSTREAM_DATA_CHANGE, code_version=spec.code_version or code_version())

    return [asset.map_asset_specs(convention) for asset in assets]


refresh_everything = dg.define_asset_job(
    "refresh_everything", selection=dg.AssetSelection.all(), description="Materialise every asset on the current inputs."
)


def cards_fingerprint(folders: list[Path]) -> str:
    """One hash over every card's path and bytes: changes when a card is added, removed or edited."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*.md")) if folder.is_dir() else []:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# A source's `refresh` (its kind's default unless the catalogue says) picks the schedule that re-reads it;
# `manual` sources are re-read only when asked (`refresh_everything`, or the card sensor for a local card folder).
SCHEDULES = {
    "daily": ("daily_leaderboard_ingestion", "leaderboard_refresh", "0 6 * * *", "Every day at 06:00 UTC"),
    "weekly": ("weekly_source_ingestion", "weekly_source_refresh", "0 6 * * 1", "Every Monday at 06:00 UTC"),
}


check_names(SCHEDULES, REFRESH, "refresh value")


def build_automation(catalogue: list[Source]):
    card_sources = [s for s in catalogue if s.kind == "hf_model_cards"]
    jobs = [refresh_everything]
    schedules, sensors = [], [automation_sensor, dead_run_reaper]
    for refresh, (schedule_name, job_name, cron, when) in SCHEDULES.items():
        due = [s for s in catalogue if s.refresh == refresh]
        if not due:
            continue
        job = dg.define_asset_job(
            job_name,
            selection=dg.AssetSelection.assets(*[source_asset_key(s.name) for s in due]),
            description=f"Re-read the sources refreshed {refresh} (fetching live ones); what depends on a source whose "
            "data changed is then rebuilt by the automation sensor.",
        )
        jobs.append(job)
        schedules.append(
            dg.ScheduleDefinition(
                name=schedule_name,
                job=job,
                cron_schedule=cron,
                execution_timezone="UTC",
                default_status=dg.DefaultScheduleStatus.RUNNING,
                description=f"{when}: re-read the sources with `refresh: {refresh}` ({', '.join(s.name for s in due)}); "
                "downstream follows if their data changed.",
            )
        )
    if card_sources:
        model_card_refresh = dg.define_asset_job(
            "model_card_refresh",
            selection=dg.AssetSelection.assets(*[source_asset_key(s.name) for s in card_sources]),
            description="Re-read the model cards; the automation sensor then rebuilds what depends on them.",
        )
        jobs.append(model_card_refresh)
        folders = [s.path for s in card_sources if s.path is not None]

        @dg.sensor(
            job=model_card_refresh,
            minimum_interval_seconds=30,
            default_status=dg.DefaultSensorStatus.RUNNING,
            description="Watches the model-card folders and refreshes when a card is added, removed or changed.",
        )
        def model_card_sensor(context: dg.SensorEvaluationContext):
            fingerprint = cards_fingerprint(folders)
            if context.cursor == fingerprint:
                return dg.SkipReason("no model card changed")
            first_look = context.cursor is None
            context.update_cursor(fingerprint)
            if first_look:
                return dg.SkipReason(f"recorded the current cards ({fingerprint[:12]}); will refresh when they change")
            return dg.RunRequest(run_key=fingerprint)

        sensors.append(model_card_sensor)
    return jobs, schedules, sensors
