"""Entity resolution: one canonical id per model across sources.

Names are matched on a normalised key (lower case, letters and digits only) of the name as written,
of its last path part (`meta-llama/Llama-3.1-8B` -> `llama318b`), and of the name without a
benchmark run suffix (`claude-3-7-sonnet-20250219_32K`). The alias table in data/ is consulted
first. Model records are taken source by source in catalogue order: the first record of a model
gives its canonical id (its `ledger.id`, Hub id or name), later records of the same model merge
into it and fill what it left unknown. Names that only appear in facts or scores and match nothing
are listed as unmatched, never dropped silently.

A record joins a model by a name of its own (ledger id, Hub id, name as written). The aliases it declares
become names of its model afterwards, source by source, unless they already name another model of the same
or an earlier source: that claim is refused and quarantined (`core.name_resolution` in `ops.quarantine`),
and the record stays a model of its own. Keys keep letters of other scripts (`Qwеn3-8B` with a Cyrillic
`е` is not `Qwen3-8B`), and validation refuses names that mix such lookalikes into a Latin word.

Three rules keep distinct models apart:
- a name matched only by its last path part must come from the same organisation as the model it
  matches (`unsloth/phi-4` is not `microsoft/phi-4`; `meta-llama/Llama-3.1-8B` is Epoch's
  `Llama 3.1-8B`, developed by Meta AI): forks, quantisations and fine-tunes by others stay models
  of their own, linked through their `base_model`; and the same holds the other way, so Epoch's
  `Qwen3-8B` (Alibaba) never joins an `evil/Qwen3-8B` read before it;
- a declared alias never takes a record into a model of its own or an earlier source (above);
- annotating sources (Epoch's model versions and distilled-models list) never create a model: a
  version id joins a model's names only when it is that model's own release or the dated release Epoch
  names (`epoch.read_model_versions` gives the rule), and a judgement about a model nobody else names is
  kept in `name_resolution` with no model id.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby

import polars as pl

from pipeline.quarantine import quarantine_frame, quarantine_row
from pipeline.sources.epoch import base_model_version

# The quarantine's `source_name` for claims entity resolution refused (the record's own source is in `record_id`).
RESOLUTION_SOURCE = "core.name_resolution"

_ASCII_NON_ALNUM = re.compile(r"[\x00-\x2f\x3a-\x60\x7b-\x7f]")
# Model attributes a later record of the same model may fill when the first left them unknown.
FILLED_ATTRIBUTES = ("hub_id", "organization", "model_type", "base_model", "teacher", "license", "tags", "as_of", "origin")


def name_key(name: str) -> str:
    """The name without case, spacing or punctuation (`Llama 3.1-8B` -> `llama318b`), after Unicode's compatibility
    folding (a full-width letter is its letter). Letters, digits and marks of other scripts stay: a name with a
    Cyrillic `е` or an extra mark keeps a key of its own instead of taking over the Latin name it imitates."""
    if name.isascii():
        return _ASCII_NON_ALNUM.sub("", name.lower())
    key = name
    for _ in range(4):  # dropping a character can let the marks around it compose: fold until nothing changes
        folded = unicodedata.normalize("NFKC", key).casefold()
        kept = "".join(
            ch for ch in folded if (ch.isascii() and ch.isalnum()) or (not ch.isascii() and unicodedata.category(ch)[0] in "LMN")
        )
        if kept == key:
            break
        key = kept
    return key


def candidate_keys(name: str) -> list[str]:
    keys = [name_key(name)]
    tail = name.rsplit("/", 1)[-1]
    stripped = base_model_version(tail)
    for extra in (tail, stripped):
        key = name_key(extra)
        if key and key not in keys:
            keys.append(key)
    return [k for k in keys if k]


_WORD = re.compile(r"[a-z]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def signature(name: str) -> tuple | None:
    """(first word, numbers in order) of a name without its org and run setting: `meta-llama/Llama-3.1-8B-Instruct`
    -> (`llama`, (`3.1`, `8`)). Two names with different sizes, generations, versions or dates differ here."""
    tail = base_model_version(name.rsplit("/", 1)[-1]).lower()
    word = _WORD.search(tail)
    numbers = tuple(_NUMBER.findall(tail))
    return (word.group(), numbers) if word and numbers else None


def _org_of(name: str) -> str | None:
    return name_key(name.split("/", 1)[0]) or None if "/" in name else None


# Words that say nothing about which organisation it is ("Meta AI" and "DeepSeek AI" share "ai").
_GENERIC_ORG_WORDS = {
    "ai",
    "inc",
    "lab",
    "labs",
    "research",
    "team",
    "org",
    "llc",
    "ltd",
    "corp",
    "co",
    "group",
    "community",
    "models",
    "hf",
    "the",
    "of",
    "and",
    "technologies",
    "technology",
}


def _org_tokens(organization: str | None) -> set[str]:
    """`Meta AI` -> {meta, metaai}; `meta-llama` -> {meta, llama, metallama}; `Google DeepMind,Google` -> {google, deepmind, ...}"""
    tokens: set[str] = set()
    for part in re.split(r"[,;|]", organization or ""):
        words = [name_key(w) for w in re.split(r"[\s_\-.]+", part) if name_key(w)]
        tokens |= {w for w in words if w not in _GENERIC_ORG_WORDS and len(w) > 2} | ({"".join(words)} if words else set())
    return tokens


class NameIndex:
    """Names of known models by key. A name's own key (`meta-llama/Llama-3.1-8B` -> `metallamallama318b`) is
    kept apart from the key of its last path part (`llama318b`), which stands for that name only where the
    organisations agree: `evil/Qwen3-8B` never becomes `Qwen3-8B`, and `Qwen3-8B` of Alibaba never becomes
    `evil/Qwen3-8B`, whichever of the two is read first."""

    def __init__(self, org_aliases: dict[str, str] | None = None) -> None:
        self.key_to_id: dict[str, str] = {}  # a name's own key (and a run-suffix-stripped form) -> model id
        self.tails: dict[str, tuple[str, str]] = {}  # last path part's key -> (model id, the path's organisation key)
        self.signatures: dict[tuple, str] = {}  # (family word, numbers) -> model id, for suggestions
        self.orgs: dict[str, set[str]] = {}  # model id -> organisation keys it is known under
        # a Hub organisation -> the developer's name as other sources write it (`Qwen` -> `Alibaba`)
        self.org_aliases = {name_key(k): _org_tokens(v) for k, v in (org_aliases or {}).items()}

    def add(self, model_id: str, *names: str | None, organization: str | None = None) -> None:
        orgs = self.orgs.setdefault(model_id, set())
        orgs |= _org_tokens(organization)
        for name in names:
            org = _org_of(name or "")
            if org:
                orgs |= _org_tokens(name.split("/", 1)[0])
            keys = candidate_keys(name or "")
            for position, key in enumerate(keys):
                if org and position:
                    self.tails.setdefault(key, (model_id, name.split("/", 1)[0]))
                else:
                    self.key_to_id.setdefault(key, model_id)
            if sig := signature(name or ""):
                self.signatures.setdefault(sig, model_id)

    def _wanted(self, org: str) -> set[str]:
        return _org_tokens(org) | self.org_aliases.get(name_key(org), set())

    def _same_org(self, name: str, model_id: str) -> bool:
        org = _org_of(name)
        known = self.orgs.get(model_id) or set()
        if org is None or not known:
            return True
        return bool(self._wanted(name.split("/", 1)[0]) & known)

    def _tail_agrees(self, name: str, organization: str | None, registered_org: str) -> bool:
        """May `name` (of `organization`) stand for a path name of `registered_org` that ends the same way? Only
        when what is known of its organisation agrees; a name that says nothing of it (a leaderboard's) may."""
        mine = self._wanted(name.split("/", 1)[0]) if _org_of(name) else _org_tokens(organization)
        return not mine or bool(mine & self._wanted(registered_org))

    def lookup(self, name: str, organization: str | None = None) -> tuple[str | None, str]:
        keys = candidate_keys(name)
        for position, key in enumerate(keys):
            model_id = self.key_to_id.get(key)
            if model_id and (position == 0 or self._same_org(name, model_id)):
                return model_id, ("name" if position == 0 else "name without org or run suffix")
        for key in keys:
            model_id, registered_org = self.tails.get(key, (None, ""))
            if model_id and self._tail_agrees(name, organization, registered_org):
                return model_id, "name without org or run suffix"
        return None, "unmatched"

    def owner(self, name: str) -> str | None:
        """The model any form of `name` already stands for, whatever the organisations: a name a record declares
        for itself must not be one another model answers to under any rule."""
        for key in candidate_keys(name):
            model_id = self.key_to_id.get(key) or self.tails.get(key, (None, ""))[0]
            if model_id:
                return model_id
        return None

    def suggest(self, name: str) -> str | None:
        """A known model whose name has the same family word and the same numbers (size, generation, version,
        date): `Llama-3.1-405B-Instruct` may be `Llama 3.1-405B`, never `Llama-3.1-8B-Instruct`; else none."""
        sig = signature(name)
        return self.signatures.get(sig) if sig else None


RESOLUTION_COLUMNS = {"source_name": pl.Utf8, "model_name": pl.Utf8, "model_id": pl.Utf8, "matched_by": pl.Utf8, "outcome": pl.Utf8}
# What became of a (source, name as written): it found a model another record made, made a new one, or (an
# annotation) found none; a name that matches nothing is in `unmatched` instead.
OUTCOMES = ("matched", "new model", "unused annotation")
UNMATCHED_COLUMNS = {
    "source_name": pl.Utf8,
    "model_name": pl.Utf8,
    "tables": pl.Utf8,
    "rows": pl.Int64,
    "suggestion": pl.Utf8,
    "reason": pl.Utf8,
}


def _own_names(record: dict) -> list[str]:
    return [n for n in (record["ledger_id"], record["hub_id"], record["model_name"]) if n]


def _declared_aliases(record: dict) -> list[str]:
    return [n for n in (record["aliases"] or "").split("|") if n and n not in _own_names(record)]


def _names(record: dict) -> list[str]:
    return _own_names(record) + _declared_aliases(record)


def resolve(
    records: pl.DataFrame,
    mentions: pl.DataFrame,
    aliases: pl.DataFrame,
    source_order: list[str],
    annotating_sources: set[str] | frozenset[str] = frozenset(),
    org_aliases: dict[str, str] | None = None,
) -> dict[str, pl.DataFrame]:
    """Canonical models, the id every (source, name) resolves to, and what could not be resolved.

    `records`: model records (validated.models). `mentions`: (source_name, model_name, tables, rows)
    for names used by facts, scores and published tables; an unmatched name is listed once per table. `aliases`: (alias, model_id).
    `annotating_sources`: sources whose records add names and attributes to models others create, never a model.
    """
    index = NameIndex(org_aliases)
    for alias, model_id in aliases.select("alias", "model_id").iter_rows():
        index.add(model_id, alias)
    order = {name: i for i, name in enumerate(source_order)}
    ranked = (
        records.with_columns(pl.col("source_name").replace_strict(order, default=len(order)).alias("_rank"))
        .with_row_index("_row")
        .sort("_rank", "_row")
    )
    creating = ranked.filter(~pl.col("source_name").is_in(list(annotating_sources)))
    annotating = ranked.filter(pl.col("source_name").is_in(list(annotating_sources)))
    # A version table's names of one model, grouped: whichever record first claims one of them claims them all.
    groups: dict[str, list[str]] = {}
    for record in annotating.iter_rows(named=True):
        names = _names(record)
        if len(names) > 1:
            for name in names:
                groups.setdefault(name_key(name), names)
    resolution: dict[tuple[str, str], tuple[str | None, str, str]] = {}
    canonical: dict[str, dict] = {}

    def register(model_id: str, names: list[str], organization: str | None) -> None:
        expanded = list(names)
        for name in names:
            expanded += [n for n in groups.get(name_key(name), []) if n not in expanded]
        index.add(model_id, *expanded, organization=organization)

    refused: list[dict] = []

    def claim_aliases(record: dict, model_id: str) -> None:
        for alias in _declared_aliases(record):
            owner = index.owner(alias)
            if owner is None:
                register(model_id, [alias], None)
            elif owner != model_id:
                refused.append(
                    quarantine_row(
                        RESOLUTION_SOURCE,
                        f"{record['source_name']}:{record['record_id']}",
                        f"alias `{alias}` of `{record['model_name']}` is already the name of model `{owner}`: an alias "
                        f"cannot join a record to another model, so `{model_id}` stays apart and the alias is not used",
                        column_name="aliases",
                        check_name="alias_collision",
                    )
                )

    # Source by source, in catalogue order: first its records join models (earlier sources' names and aliases
    # included) by names of their own (ledger id, Hub id, name as written); then their declared aliases become
    # names of their models unless they already name another. So a record cannot take over a model of its own
    # source or of an earlier one by declaring its name, whatever order the files are in, while a curated
    # source placed first still names the models later sources call by other names.
    for _, source_records in groupby(creating.iter_rows(named=True), key=lambda r: r["_rank"]):
        joined = []
        for record in source_records:
            names = _own_names(record)
            model_id, how = None, "new model"
            own_id = record["ledger_id"] or record["hub_id"]
            for name in names:
                model_id, matched = index.lookup(name, record["organization"])
                if model_id:
                    how = ("ledger id" if record["ledger_id"] else "hub id") if model_id == own_id else f"merged by {matched}"
                    break
            if model_id is None:
                model_id = record["ledger_id"] or record["hub_id"] or record["model_name"]
                how = "ledger id" if record["ledger_id"] else "hub id" if record["hub_id"] else "name (new model)"
            register(model_id, names, record["organization"])
            resolution[(record["source_name"], record["model_name"])] = (model_id, how, "matched" if model_id in canonical else "new model")
            _merge(canonical, model_id, record)
            joined.append((record, model_id))
        for record, model_id in joined:
            claim_aliases(record, model_id)
    for record in annotating.iter_rows(named=True):
        model_id = None
        for name in _names(record):
            model_id, matched = index.lookup(name, record["organization"])
            if model_id:
                break
        if model_id is None:
            resolution[(record["source_name"], record["model_name"])] = (
                None,
                "annotation for a model no other source has",
                "unused annotation",
            )
            continue
        resolution[(record["source_name"], record["model_name"])] = (model_id, f"annotation, by {matched}", "matched")
        _merge(canonical, model_id, record)
    unmatched = []
    for source_name, model_name, tables, rows in mentions.select("source_name", "model_name", "tables", "rows").iter_rows():
        if (source_name, model_name) in resolution:
            continue
        model_id, how = index.lookup(model_name)
        if model_id:
            resolution[(source_name, model_name)] = (model_id, how, "matched")
        else:
            unmatched.append(
                {
                    "source_name": source_name,
                    "model_name": model_name,
                    "tables": tables,
                    "rows": rows,
                    "suggestion": index.suggest(model_name),
                    "reason": "no model record, alias or known name matches this name",
                }
            )
    # no model at all (every source unread, or none gave a record) is a table with no rows, not one with no columns
    empty = ranked.clear().with_columns(model_id=pl.lit(None, pl.Utf8), sources=pl.lit(None, pl.Utf8))
    models = pl.DataFrame(list(canonical.values())) if canonical else empty
    models = models.drop("_rank", "_row").with_columns(
        base_model_id=pl.col("base_model").map_elements(lambda v: _resolve_first(index, v), return_dtype=pl.Utf8),
        teacher_id=pl.col("teacher").map_elements(lambda v: _resolve_first(index, v), return_dtype=pl.Utf8),
    )
    return {
        "models": models,
        "resolution": pl.DataFrame(
            [{"source_name": s, "model_name": n, "model_id": m, "matched_by": h, "outcome": o} for (s, n), (m, h, o) in resolution.items()],
            schema=RESOLUTION_COLUMNS,
        ),
        "unmatched": pl.DataFrame(unmatched, schema=UNMATCHED_COLUMNS),
        "refused": quarantine_frame(refused),
    }


def _merge(canonical: dict[str, dict], model_id: str, record: dict) -> None:
    """The first record of a model is its canonical record; a later one adds its source and fills what is unknown."""
    if model_id not in canonical:
        canonical[model_id] = dict(record) | {"model_id": model_id, "sources": record["source_name"]}
        return
    model = canonical[model_id]
    if record["source_name"] not in model["sources"].split("|"):
        model["sources"] += "|" + record["source_name"]
    for attribute in FILLED_ATTRIBUTES:
        if model.get(attribute) is None and record.get(attribute) is not None:
            model[attribute] = record[attribute]
    if model.get("distilled") is None and record.get("distilled") is not None:
        model["distilled"], model["distilled_basis"] = record["distilled"], record["distilled_basis"]


def _resolve_first(index: NameIndex, value: str | None) -> str | None:
    for name in (value or "").split("|"):
        model_id, _ = index.lookup(name.strip()) if name.strip() else (None, "")
        if model_id:
            return model_id
    return None
