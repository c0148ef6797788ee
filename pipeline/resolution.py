"""Entity resolution: one canonical id per model across sources.

Names are matched on a normalised key (lower case, letters and digits only) of the name as written,
of its last path part (`meta-llama/Llama-3.1-8B` -> `llama318b`), and of the name without a
benchmark run suffix (`claude-3-7-sonnet-20250219_32K`). The alias table in data/ is consulted
first. Model records are taken source by source in catalogue order: the first record of a model
gives its canonical id (its `ledger.id`, Hub id or name), later records of the same model merge
into it. Names that only appear in facts or scores and match nothing are listed as unmatched,
never dropped silently.
"""

from __future__ import annotations

import difflib
import re

import polars as pl

from pipeline.sources.epoch import base_model_version

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def name_key(name: str) -> str:
    return _NON_ALNUM.sub("", name.lower())


def candidate_keys(name: str) -> list[str]:
    keys = [name_key(name)]
    tail = name.rsplit("/", 1)[-1]
    stripped = base_model_version(tail)
    for extra in (tail, stripped):
        key = name_key(extra)
        if key and key not in keys:
            keys.append(key)
    return [k for k in keys if k]


class NameIndex:
    def __init__(self) -> None:
        self.key_to_id: dict[str, str] = {}

    def add(self, model_id: str, *names: str | None) -> None:
        for name in names:
            for key in candidate_keys(name or ""):
                self.key_to_id.setdefault(key, model_id)

    def lookup(self, name: str) -> tuple[str | None, str]:
        for position, key in enumerate(candidate_keys(name)):
            if key in self.key_to_id:
                return self.key_to_id[key], ("name" if position == 0 else "name without org or run suffix")
        return None, "unmatched"

    def suggest(self, name: str) -> str | None:
        close = difflib.get_close_matches(name_key(name), list(self.key_to_id), n=1, cutoff=0.75)
        return self.key_to_id[close[0]] if close else None


RESOLUTION_COLUMNS = {"source_name": pl.Utf8, "model_name": pl.Utf8, "model_id": pl.Utf8, "matched_by": pl.Utf8}
UNMATCHED_COLUMNS = {"source_name": pl.Utf8, "model_name": pl.Utf8, "tables": pl.Utf8, "rows": pl.Int64,
                     "suggestion": pl.Utf8, "reason": pl.Utf8}


def resolve(records: pl.DataFrame, mentions: pl.DataFrame, aliases: pl.DataFrame, source_order: list[str]
            ) -> dict[str, pl.DataFrame]:
    """Canonical models, the id every (source, name) resolves to, and what could not be resolved.

    `records`: model records (validated.models). `mentions`: (source_name, model_name, tables, rows)
    for names used by facts, scores and published tables; an unmatched name is listed once per table. `aliases`: (alias, model_id).
    """
    index = NameIndex()
    for alias, model_id in aliases.select("alias", "model_id").iter_rows():
        index.add(model_id, alias)
    order = {name: i for i, name in enumerate(source_order)}
    ranked = records.with_columns(pl.col("source_name").replace_strict(order, default=len(order)).alias("_rank")) \
        .with_row_index("_row").sort("_rank", "_row")
    resolution: dict[tuple[str, str], tuple[str, str]] = {}
    canonical: dict[str, dict] = {}
    for record in ranked.iter_rows(named=True):
        names = [record["ledger_id"], record["hub_id"], record["model_name"], *(record["aliases"] or "").split("|")]
        model_id, how = None, "new model"
        own_id = record["ledger_id"] or record["hub_id"]
        for name in filter(None, names):
            model_id, matched = index.lookup(name)
            if model_id:
                how = ("ledger id" if record["ledger_id"] else "hub id") if model_id == own_id else f"merged by {matched}"
                break
        if model_id is None:
            model_id = record["ledger_id"] or record["hub_id"] or record["model_name"]
            how = "ledger id" if record["ledger_id"] else "hub id" if record["hub_id"] else "name (new model)"
        index.add(model_id, *filter(None, names))
        resolution[(record["source_name"], record["model_name"])] = (model_id, how)
        if model_id not in canonical:
            canonical[model_id] = dict(record) | {"model_id": model_id, "sources": record["source_name"]}
        elif record["source_name"] not in canonical[model_id]["sources"].split("|"):
            canonical[model_id]["sources"] += "|" + record["source_name"]
    unmatched = []
    for source_name, model_name, tables, rows in mentions.select("source_name", "model_name", "tables", "rows").iter_rows():
        if (source_name, model_name) in resolution:
            continue
        model_id, how = index.lookup(model_name)
        if model_id:
            resolution[(source_name, model_name)] = (model_id, how)
        else:
            unmatched.append({"source_name": source_name, "model_name": model_name, "tables": tables, "rows": rows,
                              "suggestion": index.suggest(model_name),
                              "reason": "no model record, alias or known name matches this name"})
    models = pl.DataFrame(list(canonical.values())).drop("_rank", "_row") if canonical else pl.DataFrame()
    if models.height:
        models = models.with_columns(
            base_model_id=pl.col("base_model").map_elements(lambda v: _resolve_first(index, v), return_dtype=pl.Utf8),
            teacher_id=pl.col("teacher").map_elements(lambda v: _resolve_first(index, v), return_dtype=pl.Utf8),
        )
    return {
        "models": models,
        "resolution": pl.DataFrame([{"source_name": s, "model_name": n, "model_id": m, "matched_by": h}
                                    for (s, n), (m, h) in resolution.items()], schema=RESOLUTION_COLUMNS),
        "unmatched": pl.DataFrame(unmatched, schema=UNMATCHED_COLUMNS),
    }


def _resolve_first(index: NameIndex, value: str | None) -> str | None:
    for name in (value or "").split("|"):
        model_id, _ = index.lookup(name.strip()) if name.strip() else (None, "")
        if model_id:
            return model_id
    return None
