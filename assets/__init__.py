"""Distill Ledger's Dagster layer: assets by stage, checks, resources, schedules, sensors."""
