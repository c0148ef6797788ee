"""Jobs, the daily leaderboard schedule and the model-card sensor (both running by default)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from assets.ingest import model_card_records, paper_table1, paper_table2
from assets.resources import LedgerPaths

refresh_everything = dg.define_asset_job("refresh_everything", selection=dg.AssetSelection.all(),
                                         description="Materialise every asset on the current inputs.")

leaderboard_refresh = dg.define_asset_job(
    "leaderboard_refresh",
    selection=dg.AssetSelection.assets(paper_table1, paper_table2).downstream(),
    description="Re-ingest the leaderboard sources and rebuild everything that depends on them.")

model_card_refresh = dg.define_asset_job(
    "model_card_refresh",
    selection=dg.AssetSelection.assets(model_card_records).downstream(),
    description="Re-ingest the model cards and rebuild everything that depends on them.")

daily_leaderboard_schedule = dg.ScheduleDefinition(
    name="daily_leaderboard_ingestion", job=leaderboard_refresh, cron_schedule="0 6 * * *",
    execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 06:00 UTC: refresh the leaderboard sources and everything downstream.")


def cards_fingerprint(folder: Path) -> str:
    """One hash over every card's name and bytes: changes when a card is added, removed or edited."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.md")):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dg.sensor(job=model_card_refresh, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Watches the model-cards folder and refreshes when a card is added, removed or changed.")
def model_card_sensor(context: dg.SensorEvaluationContext, ledger: LedgerPaths):
    fingerprint = cards_fingerprint(ledger.cards_dir)
    if context.cursor == fingerprint:
        return dg.SkipReason("no model card changed")
    first_look = context.cursor is None
    context.update_cursor(fingerprint)
    if first_look:
        return dg.SkipReason(f"recorded the current cards ({fingerprint[:12]}); will refresh when they change")
    return dg.RunRequest(run_key=fingerprint)


jobs = [refresh_everything, leaderboard_refresh, model_card_refresh]
schedules = [daily_leaderboard_schedule]
sensors = [model_card_sensor]
