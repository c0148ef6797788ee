"""Pandera validation keeps good rows, quarantines bad ones with a reason, and loses nothing."""

from __future__ import annotations

import polars as pl

from pipeline import schemas
from pipeline.sources import model_cards
from pipeline.validation import split_valid
from tests.conftest import DATA_DIR


def test_bad_facts_are_quarantined_and_good_ones_kept():
    facts = model_cards.read_card_folder(DATA_DIR / "model_cards", "embedded")["facts"]
    broken = (
        facts.with_row_index("i")
        .with_columns(
            value=pl.when(pl.col("i") == 0)
            .then(float("nan"))
            .when(pl.col("i") == 1)
            .then(-5.0)
            .when(pl.col("i") == 2)
            .then(1e40)
            .otherwise(pl.col("value")),
            kind=pl.when(pl.col("i") == 3).then(pl.lit("rumour")).otherwise(pl.col("kind")),
            url=pl.when(pl.col("i") == 4).then(pl.lit("javascript:alert(1)")).otherwise(pl.col("url")),
        )
        .drop("i")
    )
    valid, rejects = split_valid(broken, schemas.ModelFact, "raw.model_facts", "model_name")
    assert valid.height == facts.height - 5
    assert rejects["reason"].str.len_chars().min() > 10
    # 1e40 also fails the table-level plausibility check, reported against the schema itself.
    assert set(rejects["column_name"]) - {"ModelFact"} == {"value", "kind", "url"}
    assert valid.height + len(set(rejects["raw_content"])) == facts.height


def test_implausible_parameter_counts_fail_the_dataframe_check():
    facts = model_cards.read_card_folder(DATA_DIR / "model_cards", "embedded")["facts"]
    absurd = facts.with_columns(value=pl.when(pl.col("quantity") == "params_total").then(1e20).otherwise(pl.col("value")))
    valid, rejects = split_valid(absurd, schemas.ModelFact, "raw.model_facts", "model_name")
    assert valid.filter(pl.col("quantity") == "params_total").height == 0
    assert rejects.height == facts.filter(pl.col("quantity") == "params_total").height


def test_valid_input_passes_untouched():
    cards = model_cards.read_card_folder(DATA_DIR / "model_cards", "embedded")["models"]
    valid, rejects = split_valid(cards, schemas.ModelRecord, "raw.models", "model_name")
    assert valid.equals(cards) and rejects.height == 0


def test_names_spelt_with_lookalike_letters_or_invisible_ones_are_quarantined():
    cards = model_cards.read_card_folder(DATA_DIR / "model_cards", "embedded")["models"]
    names = ["Qw\u0435n3-8B", "Qwen3\u00ad-8B", "\u039blpha-1", "Qwen3-8B\ufe0f", "GigaChat Гигачат", "ERNIE 文心一言"]
    spoofed = cards.head(len(names)).with_columns(model_name=pl.Series(names))
    valid, rejects = split_valid(spoofed, schemas.ModelRecord, "raw.models", "model_name")
    assert valid["model_name"].to_list() == ["GigaChat Гигачат", "ERNIE 文心一言"]  # one script to a word is fine
    assert set(rejects["record_id"]) == set(names[:4])
