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
import multiprocessing
import os
import pickle
import re
import zlib
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import yaml
from huggingface_hub import ModelCard
from huggingface_hub.repocard import REGEX_YAML_BLOCK
from huggingface_hub.repocard_data import _validate_eval_results, model_index_to_eval_results

from pipeline.sources.files import files_under
from pipeline.sources.card_tables import table_facts
from pipeline.sources.records import Batch, distillation_decision, is_unbounded_metric, number, text, to_percent
from pipeline.sources.safe_yaml import UnsafeYaml, check_yaml, front_matter

MAX_CARD_BYTES = 1_000_000  # real cards are < 100 kB; anything larger is not a card
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


def load_card(content: str, loader: str = "fast") -> tuple[dict, str, list | None]:
    """(front matter, body, model-index results if already read) of a card.

    `hub` parses with huggingface_hub's ModelCard; `fast` splits the card with the same pattern, reads
    the YAML with libyaml's safe loader and applies the same model-index checks — same results, about
    an order of magnitude faster (`make bench` measures both on the same files). The fast path returns the
    model-index results its check built, so they are not read a second time.
    """
    if loader == "hub":
        card = ModelCard(content, ignore_metadata_errors=False)
        return card.data.to_dict(), card.text, None
    match = REGEX_YAML_BLOCK.search(content)
    if not match:
        return {}, content, None
    block = match.group(2)
    # libyaml accepts a TAB where PyYAML (which huggingface_hub uses) refuses it: read those rare
    # blocks with PyYAML's own safe loader so that both paths decide alike.
    meta = yaml.load(block, Loader=yaml.SafeLoader if "\t" in block else _YAML_LOADER) or {}
    if not isinstance(meta, dict):
        raise ValueError("repo card metadata block should be a dict")
    results = None
    if meta.get("model-index"):
        try:
            model_name, results = model_index_to_eval_results(meta["model-index"])
            _validate_eval_results(results, model_name)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"Invalid `model_index` in metadata cannot be parsed: {error.__class__} {error}.") from error
    return meta, content[match.end():], results


def parse_card(raw: bytes, record_id: str, batch: Batch, *, repo_id: str | None = None, origin: str = "",
               loader: str = "fast") -> None:
    """Add one card's model, facts and benchmark results to `batch`."""
    def reject(reason: str, check: str, content: str = "") -> None:
        batch.reject(record_id, reason, check=check, raw=content)

    if len(raw) > MAX_CARD_BYTES:
        return reject(f"card is {len(raw)} bytes, over the {MAX_CARD_BYTES}-byte cap", "size_cap")
    if b"\x00" in raw:
        return reject("binary content (NUL bytes), not a text card", "binary")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return reject(f"not UTF-8 text: {exc}", "utf8")
    content = _normalise(content)
    try:
        check_yaml(front_matter(content) or "")
    except UnsafeYaml as exc:
        reject(f"front matter refused: {exc}", "yaml_limits", content[:2000])
        content = content[len("---\n") + len(front_matter(content) or "") + len("\n---"):]  # keep the body only
    try:
        meta, body, eval_results = load_card(content, loader)
    except yaml.YAMLError as exc:
        reject(f"front matter is not valid YAML: {str(exc).splitlines()[0][:300]}", "yaml", content[:2000])
        meta, body, eval_results = {}, content, None
    except (ValueError, TypeError, RecursionError) as exc:  # huggingface_hub refuses e.g. a malformed model-index
        reject(f"front matter could not be read: {str(exc).splitlines()[0][:300]}", "front_matter", content[:2000])
        meta, body, eval_results = {}, content, None
    if not isinstance(meta, dict):
        reject("front matter is not a mapping", "yaml", content[:2000])
        meta = {}
    ledger = meta.get("ledger")
    if ledger is not None and not isinstance(ledger, dict):
        reject("`ledger` is not a mapping", "ledger_block")
        ledger = None
    ledger = ledger or {}
    hub_id = repo_id or (None if ledger.get("id") else repo_id_from_filename(record_id))
    model_name = text(ledger.get("id")) or hub_id
    if not model_name:
        return reject("card has neither a `ledger.id` nor a repo id", "model_id")
    raw_tags = meta.get("tags")
    raw_tags = [raw_tags] if isinstance(raw_tags, str) else raw_tags if isinstance(raw_tags, list) else []
    tags = [str(t) for t in raw_tags if t is not None]
    distilled, basis = distillation_decision(declared_method=text(ledger.get("method")), tags=tags,
                                             names=[model_name, text(ledger.get("name")) or ""], body=body)
    as_of = text(ledger.get("as_of"))
    url = f"{HUB}/{hub_id or model_name}"
    batch.model(
        record_id=record_id, model_name=model_name, hub_id=hub_id or (model_name if "/" in model_name else None),
        ledger_id=text(ledger.get("id")), aliases=text([ledger.get("name"), *(ledger.get("aliases") or [])]),
        organization=text(ledger.get("organization")) or (model_name.split("/")[0] if "/" in model_name else None),
        model_type=text(ledger.get("model_type")) or ("Distilled" if distilled else None),
        method=text(ledger.get("method")) or ("distillation" if distilled else None),
        base_model=text(meta.get("base_model")), teacher=text(ledger.get("teacher")), license=text(meta.get("license")),
        tags=text(tags), distilled=distilled, distilled_basis=basis, as_of=as_of,
        content_sha256=hashlib.sha256(raw).hexdigest(), origin=origin or record_id,
    )
    facts = ledger.get("facts") or []
    if not isinstance(facts, list):
        reject("`ledger.facts` is not a list", "ledger_facts")
        facts = []
    for fact in facts:
        if not isinstance(fact, dict):
            reject(f"fact is not a mapping: {fact!r}"[:300], "ledger_fact", json.dumps(fact, default=str)[:2000])
            continue
        batch.fact(record_id=record_id, model_name=model_name, quantity=text(fact.get("quantity")),
                   value=number(fact.get("value")), value_raw=text(fact.get("value")), unit=text(fact.get("unit")),
                   kind=text(fact.get("kind")), source=text(fact.get("source")), url=text(fact.get("url")),
                   accelerator=text(fact.get("accelerator")), basis=text(fact.get("basis")), scope=text(fact.get("scope")),
                   note=text(fact.get("note")), as_of=text(fact.get("as_of")) or as_of)
    _co2_fact(meta.get("co2_eq_emissions"), record_id, model_name, url, as_of, batch)
    for fact in table_facts(body, model_name):
        batch.fact(record_id=record_id, kind="reported", url=url, as_of=as_of,
                   note="read from a table in the card's body", **fact)
    _model_index(meta.get("model-index"), eval_results, record_id, model_name, as_of, batch)


def _co2_fact(co2, record_id: str, model_name: str, url: str, as_of: str | None, batch: Batch) -> None:
    """`co2_eq_emissions` is grams of CO2e, as a mapping with `emissions` or as a bare number."""
    if co2 is None:
        return
    grams = number(co2.get("emissions")) if isinstance(co2, dict) else number(co2)
    if grams is None:
        return batch.reject(record_id, f"co2_eq_emissions {co2!r} has no number of grams"[:300], check="co2_eq_emissions")
    details = co2 if isinstance(co2, dict) else {}
    batch.fact(record_id=record_id, model_name=model_name, quantity="tco2e", value=grams / 1e6, value_raw=f"{grams} g",
               unit="tCO2e", kind="reported", source=f"model card co2_eq_emissions ({text(details.get('source')) or 'no source given'})",
               url=url, basis=text(details.get("training_type")), note=text(details.get("hardware_used")), as_of=as_of)


def _model_index(model_index, results: list | None, record_id: str, model_name: str, as_of: str | None, batch: Batch) -> None:
    """Benchmark results from `model-index` (`results`: already read from it, None: read it here)."""
    if not model_index:
        return
    if results is None:
        try:
            _, results = model_index_to_eval_results(model_index)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return batch.reject(record_id, f"model-index is malformed: {exc}"[:300], check="model_index")
    for result in results:
        score = number(result.metric_value)
        # model-index values are percentages by convention; a value <= 1 for an accuracy-like metric is a fraction;
        # a perplexity or a rating is neither
        scale = ("other" if is_unbounded_metric(result.metric_type) or is_unbounded_metric(result.metric_name)
                 else "fraction" if score is not None and 0 <= score <= 1 else "percent")
        batch.benchmark(record_id=record_id, model_name=model_name, benchmark=result.dataset_name,
                        dataset_type=result.dataset_type, dataset_config=result.dataset_config, metric=result.metric_type,
                        score_raw=text(result.metric_value), score=score, scale=scale, score_pct=to_percent(score, scale),
                        source=result.source_name, url=result.source_url, as_of=as_of, kind=score_kind(result.source_url))


def score_kind(source_url: str | None) -> str:
    """A model-index result citing a paper (an arXiv page: the embedded cards cite Wani et al.'s Table 1) is
    `published`; any other is the card's own, `reported`."""
    return "published" if re.match(r"^https://arxiv\.org/", source_url or "") else "reported"


def parse_hub_api_json(raw: bytes, record_id: str, batch: Batch) -> None:
    """A Hub `/api/models/<id>` response: its exact parameter count (safetensors) and card data."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return batch.reject(record_id, f"not JSON: {exc}"[:300], check="json")
    if not isinstance(doc, dict) or not isinstance(doc.get("id") or doc.get("modelId"), str):
        return batch.reject(record_id, "Hub API response has no model id", check="hub_api")
    repo_id = doc.get("id") or doc.get("modelId")
    total = number((doc.get("safetensors") or {}).get("total")) if isinstance(doc.get("safetensors"), dict) else None
    if total is not None:
        batch.fact(record_id=record_id, model_name=repo_id, quantity="params_total", value=total, value_raw=text(total),
                   unit="parameters", kind="reported", source="Hugging Face Hub API (safetensors parameter count)",
                   url=f"{HUB}/{repo_id}", as_of=text(doc.get("lastModified"))[:10] if doc.get("lastModified") else None)


PARALLEL_MIN_CARDS = 4_000  # below this (about a second in one process) starting a second process saves nothing (measured: 3,000 cards took as long on two)


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _parse_one(name: str, raw: bytes, source_name: str, loader: str) -> Batch:
    batch = Batch(source_name)
    if name.endswith(".model.json"):
        parse_hub_api_json(raw, name, batch)
    elif name.lower() != "readme.md":
        parse_card(raw, name, batch, origin=name, loader=loader)
    return batch


def _parse_slice(files: list[tuple[str, bytes]], source_name: str, loader: str) -> list[Batch]:
    return [_parse_one(name, raw, source_name, loader) for name, raw in files]


def _parse_slice_packed(files: list[tuple[str, bytes]], source_name: str, loader: str) -> bytes:
    """`_parse_slice` in a worker, its result pickled and compressed: a chunk's batches (about 200 kB pickled)
    then cross the 64 kB pipe in one read, where the main process, busy parsing, otherwise left the worker
    waiting on each of several (`make bench`'s parse_fast stages show the difference)."""
    return zlib.compress(pickle.dumps(_parse_slice(files, source_name, loader), protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpack(packed: bytes) -> list[Batch]:
    return pickle.loads(zlib.decompress(packed))  # our own worker's output, never outside data


CHUNK_CARDS = 250  # cards handed out at a time: about 65 ms of parsing, so neither side waits long for the other
QUEUED_PER_WORKER = 1  # chunks a worker holds beyond the one it parses: its next is there when it finishes


def parse_card_inputs(files: list[tuple[str, bytes]], source_name: str, loader: str = "fast",
                      workers: int | None = None) -> list[Batch]:
    """One Batch per input, in the order given. With many cards, `workers - 1` other processes (default: every
    core) take chunks from the front while this process parses chunks from the back: building Python objects
    from the YAML is the cost, and one process cannot use a second core. A worker is handed its next chunk only
    while it is busy with one (an executor given every chunk at once queues some ahead that cannot be taken
    back, and this process then waits for them at the end)."""
    workers = available_cores() if workers is None else workers
    if workers <= 1 or len(files) < PARALLEL_MIN_CARDS:
        return _parse_slice(files, source_name, loader)
    chunks = [files[i:i + CHUNK_CARDS] for i in range(0, len(files), CHUNK_CARDS)]
    parsed: list[list[Batch] | None] = [None] * len(chunks)
    front, back = 0, len(chunks) - 1  # the next chunk for the workers, the next for this process
    handed: dict[int, Future] = {}
    try:
        # spawn, not fork: forking a process whose polars thread pool is running can deadlock the child.
        with ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("spawn")) as pool:
            def hand_out() -> None:
                """Take in what the workers finished (so it is not all left to the end) and top up their queue."""
                nonlocal front
                for index in [index for index, future in handed.items() if future.done()]:
                    parsed[index] = _unpack(handed.pop(index).result())
                busy = len(handed)
                while front <= back and busy < (workers - 1) * (1 + QUEUED_PER_WORKER):
                    handed[front] = pool.submit(_parse_slice_packed, chunks[front], source_name, loader)
                    front, busy = front + 1, busy + 1

            hand_out()
            while front <= back:
                parsed[back] = _parse_slice(chunks[back], source_name, loader)
                back -= 1
                hand_out()
            for index, future in handed.items():
                parsed[index] = _unpack(future.result())
    except BrokenProcessPool:
        # A worker could not start (e.g. a script without `if __name__ == "__main__":`): parse the rest here.
        parsed = [part if part is not None else _parse_slice(chunk, source_name, loader) for part, chunk in zip(parsed, chunks)]
    return [batch for part in parsed for batch in part]


def read_card_files(files: list[tuple[str, bytes]], batch: Batch, loader: str = "fast", workers: int | None = None) -> None:
    """Cards (`*.md`) and Hub API responses (`*.model.json`) from a folder or a fetch, in name order."""
    for part in parse_card_inputs(sorted(files), batch.source_name, loader, workers):
        batch.extend(part)


def read_card_folder(folder: Path, source_name: str, loader: str = "fast") -> dict:
    """Every card and Hub API response under `folder`, as record frames (models, facts, benchmarks, rejects)."""
    batch = Batch(source_name)
    read_card_files(files_under(folder, ("*.md", "*.model.json")), batch, loader)
    return batch.frames()
