"""Hugging Face model cards: README.md with YAML front matter, parsed with huggingface_hub.

Standard keys (`base_model` as a string or list, `license`, `tags`, `co2_eq_emissions` in grams or a
bare number, `model-index` results) are read from any card; Distill Ledger's `ledger` block
(data/model_cards/README.md) adds training facts. Cards with no front matter, CRLF line endings, a
blank line before `---` or broken YAML still yield a model (named after the file or repo id); what
could not be read goes to quarantine with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import yaml
from huggingface_hub import ModelCard
from huggingface_hub.repocard import REGEX_YAML_BLOCK
from huggingface_hub.repocard_data import _validate_eval_results, model_index_to_eval_results

from pipeline import contain
from pipeline.sources.card_tables import table_facts
from pipeline.sources.files import files_under
from pipeline.sources.records import Batch, describe, distillation_decision, is_unbounded_metric, number, text, to_percent, unreadable
from pipeline.sources.safe_yaml import UnsafeYaml, check_yaml, front_matter

MAX_CARD_BYTES = 1_000_000  # real cards are < 100 kB; anything larger is not a card
MAX_CARD_RECORDS = 1_000  # facts, and model-index results, read from one card (real cards give a few dozen)
HUB = "https://huggingface.co"
_FRONT_MATTER = re.compile(r"^\s*---\s*\n")


def repo_id_from_filename(name: str) -> str:
    """`org__model.md` (the usual way to store a Hub card on disk) -> `org/model`."""
    stem = Path(name).name.removesuffix(".md").removesuffix("README").rstrip("_")
    return stem.replace("__", "/", 1) if "__" in stem else stem


def _normalise(text_: str) -> str:
    text_ = text_.replace("\r\n", "\n").replace("\r", "\n")
    return _FRONT_MATTER.sub("---\n", text_, count=1) if _FRONT_MATTER.match(text_) else text_


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _noting_duplicates(base):
    """`base` that notes a key given twice in one mapping (YAML keeps the last one silently)."""

    class Loader(base):
        def __init__(self, stream):
            super().__init__(stream)
            self.duplicate_keys: list[tuple[str, int]] = []

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen:
                        self.duplicate_keys.append((key_node.value, key_node.start_mark.line + 1))
                    seen.add(key_node.value)
            return super().construct_mapping(node, deep)

    return Loader


_LOADERS = {loader: _noting_duplicates(loader) for loader in {_YAML_LOADER, yaml.SafeLoader}}


def _load_yaml(block: str) -> tuple[object, list[tuple[str, int]]]:
    """The YAML `block` and the keys it gives twice, with their line. libyaml accepts a TAB where PyYAML (which
    huggingface_hub uses) refuses it: those rare blocks are read with PyYAML's own safe loader so that both
    paths decide alike."""
    loader = _LOADERS[yaml.SafeLoader if "\t" in block else _YAML_LOADER](block)
    try:
        return loader.get_single_data(), loader.duplicate_keys
    finally:
        loader.dispose()


def _duplicate_problems(duplicates: list[tuple[str, int]]) -> list[tuple[str, str]]:
    return [
        (f"key `{key}` is given twice (line {line}): the later one is read, the earlier ignored", "duplicate_key")
        for key, line in duplicates
    ]


def load_card(content: str, loader: str = "fast") -> tuple[dict, str, list | None, list[tuple[str, str]]]:
    """(front matter, body, model-index results if already read, problems found: (reason, check) pairs).

    `hub` parses with huggingface_hub's ModelCard; `fast` splits the card with the same pattern, reads
    the YAML with libyaml's safe loader and applies the same model-index checks — same results, about
    an order of magnitude faster (`make bench` measures both on the same files). The fast path returns the
    model-index results its check built, so they are not read a second time. A model-index that cannot be
    read costs the card its benchmark results, not the rest of its metadata.
    """
    if loader == "hub":
        match = REGEX_YAML_BLOCK.search(content)
        duplicates = _duplicate_problems(_load_yaml(match.group(2))[1]) if match else []
        try:
            card = ModelCard(content, ignore_metadata_errors=False)
            return card.data.to_dict(), card.text, None, duplicates
        except ValueError as error:
            if "model_index" not in str(error) and "model-index" not in str(error):
                raise
            card = ModelCard(content, ignore_metadata_errors=True)
            return card.data.to_dict(), card.text, [], [*duplicates, (str(error), "model_index")]
    match = REGEX_YAML_BLOCK.search(content)
    if not match:
        return {}, content, None, []
    meta, duplicates = _load_yaml(match.group(2))
    meta = meta or {}
    if not isinstance(meta, dict):
        raise ValueError("repo card metadata block should be a dict")
    results, problems = model_index_results(meta)
    return meta, content[match.end() :], results, [*_duplicate_problems(duplicates), *problems]


def model_index_results(meta: dict) -> tuple[list | None, list[tuple[str, str]]]:
    """A card's `model-index` as huggingface_hub's eval results, with its checks: (results or None, problems)."""
    if not meta.get("model-index"):
        return None, []
    try:
        model_name, results = model_index_to_eval_results(meta["model-index"])
        _validate_eval_results(results, model_name)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return [], [(f"Invalid `model_index` in metadata cannot be parsed: {error.__class__} {error}.", "model_index")]
    return results, []


def parse_card(raw: bytes, record_id: str, batch: Batch, *, repo_id: str | None = None, origin: str = "", loader: str = "fast") -> None:
    """Add one card's model, facts and benchmark results to `batch`."""

    def reject(reason: str, check: str, content: str = "") -> None:
        batch.reject(record_id, reason, check=check, raw=content)

    if len(raw) > MAX_CARD_BYTES:
        return reject(f"card is {len(raw)} bytes, over the {MAX_CARD_BYTES}-byte cap", "size_cap")
    readable = raw
    if b"\x00" in raw:
        end = raw.find(b"\n---", 4) if raw.startswith(b"---\n") else -1
        if end == -1 or b"\x00" in raw[:end]:
            return reject("binary content (NUL bytes), not a text card", "binary")
        reject("NUL bytes in the card's prose were removed; its front matter is read as it is", "nul_bytes")
        readable = raw.replace(b"\x00", b"")
    try:
        content = readable.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return reject(f"not UTF-8 text: {exc}", "utf8")
    content = _normalise(content)
    try:
        check_yaml(front_matter(content) or "")
    except UnsafeYaml as exc:
        reject(f"front matter refused: {exc}", "yaml_limits", content[:2000])
        content = content[len("---\n") + len(front_matter(content) or "") + len("\n---") :]  # keep the body only
    try:
        meta, body, eval_results, problems = load_card(content, loader)
    except yaml.YAMLError as exc:
        reject(f"front matter is not valid YAML: {str(exc).splitlines()[0][:300]}", "yaml", content[:2000])
        meta, body, eval_results, problems = {}, content, None, []
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. a front matter that is not a mapping
        reject(f"front matter could not be read: {str(exc).splitlines()[0][:300]}", "front_matter", content[:2000])
        meta, body, eval_results, problems = {}, content, None, []
    if not isinstance(meta, dict):
        reject("front matter is not a mapping", "yaml", content[:2000])
        meta = {}
    card_records(
        meta, body, eval_results, problems, record_id, batch, repo_id=repo_id, origin=origin, content_sha256=hashlib.sha256(raw).hexdigest()
    )


def card_records(
    meta: dict,
    body: str,
    eval_results: list | None,
    problems: list[tuple[str, str]],
    record_id: str,
    batch: Batch,
    *,
    repo_id: str | None,
    origin: str,
    content_sha256: str,
    as_of: str | None = None,
) -> None:
    """The model, facts and benchmark results of one card's metadata (front matter, or the Hub's `cardData`) and
    body. `as_of`: the date its facts are of when the card's `ledger` block does not say."""

    def reject(reason: str, check: str, content: str = "") -> None:
        batch.reject(record_id, reason, check=check, raw=content)

    index_problem = next((reason for reason, check in problems if check == "model_index"), None)
    for reason, check in problems:
        if check != "model_index":
            reject(reason[:300], check)
    ledger = meta.get("ledger")
    if ledger is not None and not isinstance(ledger, dict):
        reject("`ledger` is not a mapping", "ledger_block")
        ledger = None
    ledger = ledger or {}

    def ledger_text(key: str) -> str | None:
        """A `ledger:` field that must be text: a boolean (YAML's unquoted no/yes) or a mapping is refused."""
        value = ledger.get(key)
        if isinstance(value, (bool, dict, list)):
            reject(f"`ledger.{key}`: expected text, found {describe(value)}", "field_type", json.dumps(value, default=str)[:2000])
            return None
        return text(value)

    def listed(value, where: str) -> list:
        """A field that holds a list of names: a list, or one name; anything else is refused."""
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [v for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
        reject(f"`{where}`: expected a list of names, found {describe(value)}", "field_type")
        return []

    ledger_id = ledger_text("id")
    hub_id = repo_id or (None if ledger_id else repo_id_from_filename(record_id))
    model_name = ledger_id or hub_id
    if not model_name:
        return reject("card has neither a `ledger.id` nor a repo id", "model_id")
    tags = [str(t) for t in listed(meta.get("tags"), "tags")]
    method, name = ledger_text("method"), ledger_text("name")
    distilled, basis = distillation_decision(declared_method=method, tags=tags, names=[model_name, name or ""], body=body)
    as_of = ledger_text("as_of") or as_of
    url = f"{HUB}/{hub_id or model_name}"
    base_model = meta.get("base_model")
    batch.model(
        record_id=record_id,
        model_name=model_name,
        hub_id=hub_id or (model_name if "/" in model_name else None),
        ledger_id=ledger_id,
        aliases=text([name, *listed(ledger.get("aliases"), "ledger.aliases")]),
        organization=ledger_text("organization") or (model_name.split("/")[0] if "/" in model_name else None),
        model_type=ledger_text("model_type") or ("Distilled" if distilled else None),
        method=method or ("distillation" if distilled else None),
        base_model=text(listed(base_model, "base_model")),
        teacher=ledger_text("teacher"),
        license=text(listed(meta.get("license"), "license")),
        tags=text(tags),
        distilled=distilled,
        distilled_basis=basis,
        as_of=as_of,
        content_sha256=content_sha256,
        origin=origin or record_id,
    )
    facts = ledger.get("facts") or []
    if not isinstance(facts, list):
        reject("`ledger.facts` is not a list", "ledger_facts")
        facts = []
    if len(facts) > MAX_CARD_RECORDS:
        reject(f"`ledger.facts` lists {len(facts):,} facts; the first {MAX_CARD_RECORDS:,} are read", "card_size")
        facts = facts[:MAX_CARD_RECORDS]
    for fact in facts:
        if not isinstance(fact, dict):
            reject(f"fact is not a mapping: {fact!r}"[:300], "ledger_fact", json.dumps(fact, default=str)[:2000])
            continue
        batch.fact(
            record_id=record_id,
            model_name=model_name,
            quantity=fact.get("quantity"),
            value=number(fact.get("value")),
            value_raw=text(fact.get("value")) if not isinstance(fact.get("value"), dict) else None,
            unit=fact.get("unit"),
            kind=fact.get("kind"),
            source=fact.get("source"),
            url=fact.get("url"),
            accelerator=fact.get("accelerator"),
            basis=fact.get("basis"),
            scope=fact.get("scope"),
            note=fact.get("note"),
            as_of=fact.get("as_of") or as_of,
        )
    # Each part below reads a shape of its own: one that is malformed is set aside with its reason, and the
    # card's other parts are kept.
    for part, read in (
        ("co2_eq_emissions", lambda: _co2_fact(meta.get("co2_eq_emissions"), record_id, model_name, url, as_of, batch)),
        ("body tables", lambda: _table_facts(body, model_name, name, record_id, url, as_of, batch)),
        (
            "model-index",
            lambda: (
                reject(index_problem[:300], "model_index")
                if index_problem
                else _model_index(meta.get("model-index"), eval_results, record_id, model_name, as_of, batch)
            ),
        ),
    ):
        try:
            read()
        except Exception as exc:  # noqa: BLE001 -- the reader's boundary: any other shape is a reject, not a crash
            reject(f"{part} could not be read: {type(exc).__name__}: {exc}"[:300], "shape", "")


def _table_facts(body: str, model_name: str, name: str | None, record_id: str, url: str, as_of: str | None, batch: Batch) -> None:
    """Facts from the tables of the card's body. A figure for another model of the family (a base model beside
    the chat model) is filed under the card's organisation (`deepseek-ai/DeepSeek-V3-Base`), so resolution joins it
    to a model only where that organisation agrees; a card with no organisation cannot speak for another model."""
    org = model_name.split("/", 1)[0] if "/" in model_name else None
    others = 0
    for fact in table_facts(body, model_name):
        entity = fact.pop("model_name")
        if entity in (model_name, name, model_name.rsplit("/", 1)[-1]):
            entity = model_name
        elif org is None:
            others += 1
            continue
        elif "/" not in entity:
            entity = f"{org}/{entity}"
        batch.fact(
            record_id=record_id,
            model_name=entity,
            kind="reported",
            url=url,
            as_of=as_of,
            note="read from a table in the card's body",
            **fact,
        )
    if others:
        batch.reject(
            record_id,
            f"{others} figure(s) in the card's tables are for other models, and a card with no "
            "organisation in its id cannot speak for another model",
            check="other_models",
        )


def _co2_fact(co2, record_id: str, model_name: str, url: str, as_of: str | None, batch: Batch) -> None:
    """`co2_eq_emissions` is grams of CO2e, as a mapping with `emissions` or as a bare number."""
    if co2 is None:
        return
    grams = number(co2.get("emissions")) if isinstance(co2, dict) else number(co2)
    if grams is None:
        return batch.reject(record_id, f"co2_eq_emissions {co2!r} has no number of grams"[:300], check="co2_eq_emissions")
    details = co2 if isinstance(co2, dict) else {}
    batch.fact(
        record_id=record_id,
        model_name=model_name,
        quantity="tco2e",
        value=grams / 1e6,
        value_raw=f"{grams} g",
        unit="tCO2e",
        kind="reported",
        source=f"model card co2_eq_emissions ({text(details.get('source')) or 'no source given'})",
        url=url,
        basis=text(details.get("training_type")),
        note=text(details.get("hardware_used")),
        as_of=as_of,
    )


def _model_index(model_index, results: list | None, record_id: str, model_name: str, as_of: str | None, batch: Batch) -> None:
    """Benchmark results from `model-index` (`results`: already read from it, None: read it here)."""
    if not model_index:
        return
    if results is None:
        try:
            _, results = model_index_to_eval_results(model_index)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return batch.reject(record_id, f"model-index is malformed: {exc}"[:300], check="model_index")
    if len(results) > MAX_CARD_RECORDS:
        batch.reject(record_id, f"model-index holds {len(results):,} results; the first {MAX_CARD_RECORDS:,} are read", check="card_size")
        results = results[:MAX_CARD_RECORDS]
    for result in results:
        score = number(result.metric_value)
        # model-index values are percentages by convention; a value <= 1 for an accuracy-like metric is a fraction;
        # a perplexity or a rating is neither
        scale = (
            "other"
            if is_unbounded_metric(result.metric_type) or is_unbounded_metric(result.metric_name)
            else "fraction"
            if score is not None and 0 <= score <= 1
            else "percent"
        )
        batch.benchmark(
            record_id=record_id,
            model_name=model_name,
            benchmark=result.dataset_name,
            dataset_type=result.dataset_type,
            dataset_config=result.dataset_config,
            metric=result.metric_type,
            score_raw=text(result.metric_value),
            score=score,
            scale=scale,
            score_pct=to_percent(score, scale),
            source=result.source_name,
            url=result.source_url,
            as_of=as_of,
            kind=score_kind(result.source_url),
        )


def score_kind(source_url: str | None) -> str:
    """A model-index result citing a paper (an arXiv page: the embedded cards cite Wani et al.'s Table 1) is
    `published`; any other is the card's own, `reported`."""
    return "published" if re.match(r"^https://arxiv\.org/", source_url or "") else "reported"


def _hub_doc(raw: bytes, record_id: str, batch: Batch) -> dict | None:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return batch.reject(record_id, f"not JSON: {exc}"[:300], check="json")
    if not isinstance(doc, dict) or not isinstance(doc.get("id") or doc.get("modelId"), str):
        return batch.reject(record_id, "Hub API response has no model id", check="hub_api")
    return doc


def _hub_date(doc: dict) -> str | None:
    return text(doc.get("lastModified"))[:10] if isinstance(doc.get("lastModified"), str) else None


def _safetensors_fact(doc: dict, repo_id: str, record_id: str, batch: Batch) -> None:
    """The Hub's exact parameter count, from the weights' safetensors headers."""
    total = number((doc.get("safetensors") or {}).get("total")) if isinstance(doc.get("safetensors"), dict) else None
    if total is not None:
        batch.fact(
            record_id=record_id,
            model_name=repo_id,
            quantity="params_total",
            value=total,
            value_raw=text(total),
            unit="parameters",
            kind="reported",
            source="Hugging Face Hub API (safetensors parameter count)",
            url=f"{HUB}/{repo_id}",
            as_of=_hub_date(doc),
        )


def parse_hub_api_json(raw: bytes, record_id: str, batch: Batch) -> None:
    """A Hub `/api/models/<id>` response beside its card: the exact parameter count it adds to the card's model."""
    doc = _hub_doc(raw, record_id, batch)
    if doc is not None:
        _safetensors_fact(doc, doc.get("id") or doc.get("modelId"), record_id, batch)


def parse_hub_item(raw: bytes, record_id: str, batch: Batch) -> None:
    """One model of the Hub's listing (`/api/models` with `cardData`, `safetensors`, `baseModels`, ...): the model
    from its card data, as a card's front matter would give it, and its exact parameter count. The item is the
    model's only record, so it makes the model, where a `*.model.json` beside a card only adds to it."""
    doc = _hub_doc(raw, record_id, batch)
    if doc is None:
        return
    repo_id = doc.get("id") or doc.get("modelId")
    meta = doc.get("cardData")
    if meta is not None and not isinstance(meta, dict):
        batch.reject(record_id, f"`cardData` is not a mapping: {describe(meta)}", check="hub_api")
    meta = dict(meta) if isinstance(meta, dict) else {}
    tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
    hub_tags = [t for t in doc.get("tags") or [] if isinstance(t, str)] if isinstance(doc.get("tags"), list) else []
    meta["tags"] = list(dict.fromkeys([*tags, *hub_tags]))  # the card's tags and the ones the Hub adds (`base_model:...`)
    bases = doc.get("baseModels") if isinstance(doc.get("baseModels"), dict) else {}
    if not meta.get("base_model") and isinstance(bases.get("models"), list):
        meta["base_model"] = [m["id"] for m in bases["models"] if isinstance(m, dict) and isinstance(m.get("id"), str)]
    results, problems = model_index_results(meta)
    sha = text(doc.get("sha")) or hashlib.sha256(raw).hexdigest()
    card_records(
        meta, "", results, problems, record_id, batch, repo_id=repo_id, origin=f"{HUB}/api/models", content_sha256=sha, as_of=_hub_date(doc)
    )
    _safetensors_fact(doc, repo_id, record_id, batch)


PARALLEL_MIN_CARDS = 4_000  # below this (about a second of parsing) a second worker's start (its imports) saves nothing


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parse_one(name: str, raw: bytes, source_name: str, loader: str = "fast") -> Batch:
    """One card or Hub API response as its own Batch; never raises."""
    batch = Batch(source_name)
    try:
        if name.endswith(".model.json"):
            parse_hub_api_json(raw, name, batch)
        elif name.lower() != "readme.md":
            parse_card(raw, name, batch, origin=name, loader=loader)
    except Exception as exc:  # noqa: BLE001 -- a file of a shape no reader foresaw costs that file, not its source
        batch = unreadable(source_name, name, f"could not be read: {type(exc).__name__}: {exc}"[:300])
    return batch


def _parse_slice(files: list[tuple[str, bytes]], source_name: str, loader: str) -> list[Batch]:
    return [parse_one(name, raw, source_name, loader) for name, raw in files]


CHUNK_CARDS = 250  # cards handed to a worker at a time: enough work to hide a round trip, few enough to share out


def parse_card_inputs(files: list[tuple[str, bytes]], source_name: str, loader: str = "fast", workers: int | None = None) -> list[Batch]:
    """One Batch per input, in the order given, parsed in worker processes (pipeline/contain.py) so that a card
    that crashes or exhausts libyaml costs that card, which is quarantined with the reason. With many cards,
    one worker per core (default: every core) takes chunks; `workers=0` parses in this process instead, for
    measuring the parse alone."""
    workers = available_cores() if workers is None else workers
    if workers == 0:
        return _parse_slice(files, source_name, loader)
    if len(files) < PARALLEL_MIN_CARDS:
        workers = 1
    parsed, unguarded = contain.map_guarded(
        parse_one, [(name, raw, source_name, loader) for name, raw in files], workers=workers, chunk=CHUNK_CARDS
    )
    batches = [
        part if isinstance(part, Batch) else unreadable(source_name, name, part.reason)
        for (name, _), part in zip(files, parsed, strict=True)
    ]
    if unguarded and batches:
        batches[0].reject("*", unguarded, check="source")
    return batches


def read_card_files(files: list[tuple[str, bytes]], batch: Batch, loader: str = "fast", workers: int | None = None) -> None:
    """Cards (`*.md`) and Hub API responses (`*.model.json`) from a folder or a fetch, in name order."""
    for part in parse_card_inputs(sorted(files), batch.source_name, loader, workers):
        batch.extend(part)


def read_card_folder(folder: Path, source_name: str, loader: str = "fast") -> dict:
    """Every card and Hub API response under `folder`, as record frames (models, facts, benchmarks, rejects)."""
    batch = Batch(source_name)
    read_card_files(files_under(folder, ("*.md", "*.model.json")), batch, loader)
    return batch.frames()
