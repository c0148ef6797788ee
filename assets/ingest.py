"""Ingest: read the embedded model cards and the paper's published tables into `raw` tables, as read."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.metadata import table_metadata
from assets.resources import LedgerPaths
from pipeline import warehouse
from pipeline.sources import model_cards, paper_table

INGEST = "ingest"
CARD_SOURCE = "embedded_model_cards"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "model_cards"], kinds={"python", "duckdb"}, group_name=INGEST, description="One row per model card: the card's standard keys and its `ledger` block, as read."),
        dg.AssetSpec(["raw", "model_facts"], kinds={"python", "duckdb"}, group_name=INGEST, description="Training facts from the cards' `ledger.facts`, one row per fact, as read."),
        dg.AssetSpec(["raw", "benchmark_results"], kinds={"python", "duckdb"}, group_name=INGEST, description="Benchmark results from the cards' `model-index`, as read."),
    ],
    pool="duckdb_writer",
)
def model_card_records(ledger: LedgerPaths, warehouse_db: DuckDBResource):
    """Model cards: every `*.md` in the cards folder, parsed with huggingface_hub; unreadable cards go to quarantine."""
    frames = model_cards.read_card_folder(ledger.cards_dir, CARD_SOURCE)
    with warehouse_db.get_connection() as con:
        warehouse.write_table(con, "raw", "model_cards", frames["cards"])
        warehouse.write_table(con, "raw", "model_facts", frames["facts"])
        warehouse.write_table(con, "raw", "benchmark_results", frames["scores"])
        warehouse.replace_quarantine(con, CARD_SOURCE, frames["rejects"])
        for table in ("model_cards", "model_facts", "benchmark_results"):
            meta = table_metadata(con, "raw", table)
            meta["cards_folder"] = dg.MetadataValue.path(str(ledger.cards_dir))
            meta["unreadable_cards"] = frames["rejects"].height
            yield dg.MaterializeResult(asset_key=["raw", table], metadata=meta)


def _paper_table_asset(table: str, reader, description: str):
    @dg.asset(key=["raw", table], group_name=INGEST, kinds={"python", "duckdb"}, pool="duckdb_writer",
              description=description)
    def _asset(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        path = ledger.data / "paper" / f"{table.removeprefix('paper_')}.csv"
        frames = reader(path, table)
        with warehouse_db.get_connection() as con:
            warehouse.write_table(con, "raw", table, frames["rows"])
            warehouse.replace_quarantine(con, table, frames["rejects"])
            meta = table_metadata(con, "raw", table)
        meta["source_file"] = dg.MetadataValue.path(str(path))
        meta["citation"] = "Wani et al. 2026, arXiv:2602.20164"
        return dg.MaterializeResult(metadata=meta)

    return _asset


paper_table1 = _paper_table_asset(
    "paper_table1", paper_table.read_table1,
    "The paper's Table 1 (16 models: compute, H100 GPU-hours, tCO2e, GPQA Diamond, AIME 2024) as printed.")
paper_table2 = _paper_table_asset(
    "paper_table2", paper_table.read_table2,
    "The paper's Table 2 (3 workloads x A100, L40S, H100: GPU-hours and tCO2e) as printed, one row per cell pair.")

ingest_assets = [model_card_records, paper_table1, paper_table2]
