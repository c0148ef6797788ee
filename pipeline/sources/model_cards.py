"""Hugging Face model cards (README.md with YAML front matter) with Distill Ledger's `ledger` block.

The standard keys (`base_model`, `license`, `tags`, `model-index`) are read with huggingface_hub;
the `ledger` block (documented in data/model_cards/README.md) carries the training facts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml
from huggingface_hub import ModelCard
from huggingface_hub.repocard_data import model_index_to_eval_results

from pipeline.quarantine import quarantine_frame, quarantine_row

MAX_CARD_BYTES = 1_000_000  # real cards are < 100 kB; anything larger is not a card

CARD_COLUMNS = {
    "source_name": pl.Utf8, "card_path": pl.Utf8, "card_sha256": pl.Utf8, "model_id": pl.Utf8,
    "name": pl.Utf8, "aliases": pl.Utf8, "organization": pl.Utf8, "model_type": pl.Utf8,
    "method": pl.Utf8, "base_model": pl.Utf8, "teacher": pl.Utf8, "license": pl.Utf8, "as_of": pl.Utf8,
}
FACT_COLUMNS = {
    "model_id": pl.Utf8, "quantity": pl.Utf8, "value": pl.Float64, "value_raw": pl.Utf8,
    "unit": pl.Utf8, "kind": pl.Utf8, "source": pl.Utf8, "url": pl.Utf8, "accelerator": pl.Utf8,
    "basis": pl.Utf8, "scope": pl.Utf8, "note": pl.Utf8, "as_of": pl.Utf8, "card_path": pl.Utf8,
}
SCORE_COLUMNS = {
    "model_id": pl.Utf8, "dataset_name": pl.Utf8, "dataset_type": pl.Utf8, "dataset_config": pl.Utf8,
    "metric_type": pl.Utf8, "score": pl.Float64, "score_raw": pl.Utf8, "source": pl.Utf8,
    "url": pl.Utf8, "card_path": pl.Utf8,
}


@dataclass
class CardBatch:
    cards: list[dict] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    scores: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)

    def frames(self) -> dict[str, pl.DataFrame]:
        return {
            "cards": pl.DataFrame(self.cards, schema=CARD_COLUMNS),
            "facts": pl.DataFrame(self.facts, schema=FACT_COLUMNS),
            "scores": pl.DataFrame(self.scores, schema=SCORE_COLUMNS),
            "rejects": quarantine_frame(self.rejects),
        }


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return "|".join(str(v) for v in value)
    return str(value)


def _number(value) -> float | None:
    # YAML 1.1 reads 8.0e9 (no exponent sign) as a string; accept it, reject anything non-numeric.
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_card(raw: bytes, card_path: str, source_name: str, batch: CardBatch) -> None:
    """Add one card's model, facts and scores to `batch`; unusable cards become quarantine rows."""
    def reject(reason: str, check: str, content: str = "") -> None:
        batch.rejects.append(quarantine_row(source_name, card_path, reason, raw_content=content, check_name=check))

    if len(raw) > MAX_CARD_BYTES:
        return reject(f"card is {len(raw)} bytes, over the {MAX_CARD_BYTES}-byte cap", "size_cap")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return reject(f"not UTF-8 text: {exc}", "utf8")
    try:
        card = ModelCard(text.replace("\r\n", "\n"), ignore_metadata_errors=False)
    except (yaml.YAMLError, ValueError) as exc:
        return reject(f"front matter is not valid YAML: {exc}".splitlines()[0], "yaml", text)
    meta = card.data.to_dict()
    ledger = meta.get("ledger")
    if not isinstance(ledger, dict) or not ledger.get("id"):
        return reject("card has no `ledger` block with an `id`", "ledger_block", text[:500])

    model_id = str(ledger["id"])
    as_of = _text(ledger.get("as_of"))
    batch.cards.append({
        "source_name": source_name, "card_path": card_path,
        "card_sha256": hashlib.sha256(raw).hexdigest(), "model_id": model_id,
        "name": _text(ledger.get("name")) or model_id, "aliases": _text(ledger.get("aliases")),
        "organization": _text(ledger.get("organization")), "model_type": _text(ledger.get("model_type")),
        "method": _text(ledger.get("method")), "base_model": _text(meta.get("base_model")),
        "teacher": _text(ledger.get("teacher")), "license": _text(meta.get("license")), "as_of": as_of,
    })
    facts = ledger.get("facts") or []
    if not isinstance(facts, list):
        facts = []
        reject("`ledger.facts` is not a list", "ledger_facts")
    for fact in facts:
        if not isinstance(fact, dict):
            reject(f"fact is not a mapping: {fact!r}"[:300], "ledger_fact", json.dumps(fact, default=str))
            continue
        batch.facts.append({
            "model_id": model_id, "quantity": _text(fact.get("quantity")),
            "value": _number(fact.get("value")), "value_raw": _text(fact.get("value")),
            "unit": _text(fact.get("unit")), "kind": _text(fact.get("kind")),
            "source": _text(fact.get("source")), "url": _text(fact.get("url")),
            "accelerator": _text(fact.get("accelerator")), "basis": _text(fact.get("basis")),
            "scope": _text(fact.get("scope")), "note": _text(fact.get("note")),
            "as_of": _text(fact.get("as_of")) or as_of, "card_path": card_path,
        })
    model_index = meta.get("model-index")
    if model_index:
        try:
            _, results = model_index_to_eval_results(model_index)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            reject(f"model-index is malformed: {exc}", "model_index")
            results = []
        for result in results:
            batch.scores.append({
                "model_id": model_id, "dataset_name": result.dataset_name,
                "dataset_type": result.dataset_type, "dataset_config": result.dataset_config,
                "metric_type": result.metric_type, "score": _number(result.metric_value),
                "score_raw": _text(result.metric_value), "source": result.source_name,
                "url": result.source_url, "card_path": card_path,
            })


def read_card_folder(folder: Path, source_name: str) -> dict[str, pl.DataFrame]:
    """Parse every `*.md` card in `folder` (sorted, so runs are reproducible)."""
    batch = CardBatch()
    for path in sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md"):
        parse_card(path.read_bytes(), path.name, source_name, batch)
    return batch.frames()
