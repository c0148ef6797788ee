"""Distill Ledger machinery: parsers, schemas, cost model, warehouse and charts. No Dagster here."""
