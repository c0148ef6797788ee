"""Epoch AI's data: the AI-models CSV (notable / all models), the Benchmarking Hub's per-benchmark CSVs
and its runs export (many tasks in one file), its model-versions table and its distilled-models list.

Columns are picked by name, accepting renamed ones (`System` -> `Model`, `Training dataset size
(datapoints)` -> `(total)` / `(gradients)`): each reader's candidates are declared once below, and
the snapshot builder (`pipeline.snapshot`) keeps exactly those columns. Epoch's "Training compute"
already includes a base model's compute, so its facts are marked `scope: cumulative` and never added
to a base; its "Finetune compute" is the fine-tuning step alone. Its dataset size counts
"datapoints" (tokens for most language models, but words, pairs or samples for others), so it is kept
as `training_datapoints`, never read as tokens.
"""

from __future__ import annotations

import re

from pipeline.schemas import ESTIMATE_CONFIDENCE
from pipeline.sources.records import Batch, number, text, to_percent
from pipeline.sources.tabular import RAGGED_ROW, TableError, pick, read_table

MODELS_URL = "https://epoch.ai/data/ai-models"
BENCHMARKS_URL = "https://epoch.ai/data/ai-benchmarking-dashboard"
DISTILLED_URL = "https://github.com/epoch-research/benchmark-stitching"

# A model version on the Benchmarking Hub carries its run setting after an underscore: _high, _32K, ...
VERSION_SUFFIX = re.compile(r"_(?P<setting>x?high|medium|low|minimal|none|\d+K|thinking|reasoning)$", re.IGNORECASE)
# An API snapshot's date: claude-3-7-sonnet-20250219, gpt-4o-2024-05-13 (a four-digit tag such as 0528 is a release).
SNAPSHOT_DATE = re.compile(r"-(?:20\d{6}|20\d{2}-\d{2}-\d{2})$")

# Every column each reader looks for, by role: the first candidate present is used.
MODEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Model", "System"),
    "organization": ("Organization",),
    "domain": ("Domain",),
    "task": ("Task",),
    "date": ("Publication date",),
    "params": ("Parameters",),
    "params_notes": ("Parameters notes",),
    "flops": ("Training compute (FLOP)",),
    "flops_notes": ("Training compute notes",),
    "dataset": ("Training dataset size (total)", "Training dataset size (gradients)", "Training dataset size (datapoints)"),
    "dataset_notes": ("Dataset size notes",),
    "epochs": ("Epochs",),
    "hardware": ("Training hardware",),
    "quantity": ("Hardware quantity",),
    "hours": ("Training time (hours)",),
    "base": ("Base model",),
    "finetune": ("Finetune compute (FLOP)",),
    "finetune_notes": ("Finetune compute notes",),
    "access": ("Model accessibility",),
    "link": ("Link",),
    "confidence": ("Confidence",),
    "frontier": ("Frontier model",),
    "cost_usd": ("Training compute cost (2023 USD)",),
}
BENCHMARK_COLUMNS: dict[str, tuple[str, ...]] = {
    "version": ("Model version", "model_version", "model", "Model"),
    "score": ("mean_score", "Best score (across scorers)", "score"),
    "task": ("task", "Task"),
    "flops": ("Training compute (FLOP)",),
    "date": ("Started at", "started_at", "Release date"),
    "release": ("Release date",),
    "organization": ("Organization",),
    "status": ("Status",),
    "log": ("Log viewer", "log viewer"),
    "id": ("id",),
}
VERSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "model": ("Model",),
    "date": ("Version release date",),
    "developer": ("Hugging Face developer id",),
    "link": ("Link",),
    "display": ("Display name",),
}
DISTILLED_COLUMNS: dict[str, tuple[str, ...]] = {
    "model": ("model",),
    "distilled": ("distilled",),
    "confidence": ("confidence",),
    "notes": ("notes",),
}
# The tasks that make a `Language`-domain row a language model (a whole task name, so "Morse translation" is not
# "Translation"): speech recognisers and sequence classifiers of the 1950s are Language-domain rows too.
LANGUAGE_MODEL_TASKS = (
    "Language modeling",
    "Language modeling/generation",
    "Language generation",
    "Chat",
    "Question answering",
    "Code generation",
    "Code autocompletion",
    "Translation",
    "Text autocompletion",
    "Mathematical reasoning",
    "Quantitative reasoning",
    "Instruction following",
    "Reasoning",
    "Text summarization",
    "Retrieval-augmented generation",
    "Function calling",
)
EPOCH_CONFIDENCE = {label.lower(): label for label in ESTIMATE_CONFIDENCE}
# Rows whose Domain and Task labels pass the filter above but whose papers describe no language model: encoders,
# image generators and other networks Epoch also tags with a language task. Left out like any filtered row.
NOT_LANGUAGE_MODELS = {
    "ImageBind": "a joint embedding of six modalities (arXiv:2305.05665); it generates no text",
    "AltCLIP_M9": "a multilingual CLIP text encoder for image-text retrieval and generation (arXiv:2211.06679)",
    "BEIT-3": "a vision-language encoder for vision tasks and retrieval (arXiv:2208.10442)",
    "ERNIE-ViLG": "a text-to-image generator (arXiv:2112.15283)",
    "Hopfield Networks (2020)": "modern Hopfield layers for deep networks (arXiv:2008.02217), not a language model",
    "Perceiver IO (optical flow)": "the optical-flow variant of Perceiver IO (arXiv:2107.14795)",
}


def split_version(version: str) -> tuple[str, str | None]:
    """(model name, run setting): `o3-2025-04-16_high` -> (`o3-2025-04-16`, `high`)."""
    version = version.strip()
    match = VERSION_SUFFIX.search(version)
    return (version[: match.start()], match["setting"]) if match else (version, None)


def base_model_version(version: str) -> str:
    return split_version(version)[0]


def _columns(frame, roles: dict[str, tuple[str, ...]]) -> dict[str, str | None]:
    return {role: pick(frame, *candidates) for role, candidates in roles.items()}


def _open(raw: bytes, batch: Batch, name: str, roles: dict[str, tuple[str, ...]], required: tuple[str, ...]):
    """The table, its columns by role and a getter of a row's text by role; None (with a reject saying why) when
    the bytes are not a table or a required role has no column."""
    try:
        frame = read_table(raw, name=name, on_bad_row=lambda rid, why, row: batch.reject(rid, why, check=RAGGED_ROW, raw=row))
    except TableError as exc:
        batch.reject("*", str(exc), check="format")
        return None
    cols = _columns(frame, roles)
    missing = [r for r in required if cols[r] is None]
    if missing:
        wanted = " and ".join(f"`{roles[r][0]}`" for r in required)
        batch.reject("*", f"need {wanted} columns, found {frame.columns[:8]}", check="columns")
        return None
    return frame, cols, lambda row, key: text(row.get(cols[key])) if cols[key] else None


def _confidence(value: str | None) -> str | None:
    return EPOCH_CONFIDENCE.get((value or "").strip().lower()) if value else None


def is_language_model(name: str, domain: str, task: str, domains, tasks) -> bool:
    """Whether a row is read: its domain is one of `domains` and one of its tasks one of `tasks`, and (when tasks
    are filtered) it is not one of NOT_LANGUAGE_MODELS."""
    if domains and not any(d.lower() in domain.lower() for d in domains):
        return False
    if tasks and name in NOT_LANGUAGE_MODELS:
        return False
    if not tasks or not task:  # a file without a Task column (or a row without tasks) is judged by its domain
        return True
    wanted = {t.lower() for t in tasks}
    return any(t.strip().lower() in wanted for t in task.split(","))


def read_models(
    raw: bytes,
    batch: Batch,
    *,
    domains: list[str] | None = ("Language",),
    tasks: list[str] | None = LANGUAGE_MODEL_TASKS,
    url: str = MODELS_URL,
) -> None:
    """One model per row; facts for parameters, training compute (cumulative), fine-tune compute, dataset size,
    hardware and time, each with Epoch's confidence."""
    opened = _open(raw, batch, "epoch_models", MODEL_COLUMNS, ("name",))
    if opened is None:
        return
    frame, cols, get = opened
    for index, row in enumerate(frame.iter_rows(named=True)):
        name = get(row, "name")
        record_id = f"row {index + 2}"
        if not name:
            batch.reject(record_id, "row has no model name", check="model_name", raw=str(row)[:2000])
            continue
        name = " ".join(name.split())  # multi-line cells: "VAETKI\n" -> "VAETKI"
        if not is_language_model(name, get(row, "domain") or "", get(row, "task") or "", domains, tasks):
            batch.skipped += 1
            continue
        access = (get(row, "access") or "").lower()
        proprietary = access.startswith(("api", "hosted", "unreleased"))
        as_of = (get(row, "date") or "")[:10] or None
        distilled = "distil" in name.lower()
        batch.model(
            record_id=record_id,
            model_name=name,
            organization=get(row, "organization"),
            model_type="Proprietary" if proprietary else None,
            method="external",
            base_model=get(row, "base"),
            distilled=True if distilled else None,
            distilled_basis="name contains 'distil'" if distilled else None,
            as_of=as_of,
            origin=get(row, "link") or url,
        )
        source = "Epoch AI, AI models database"
        confidence = _confidence(get(row, "confidence"))
        for quantity, key, unit, extra in (
            ("params_total", "params", "parameters", {"note": get(row, "params_notes")}),
            (
                "training_flops",
                "flops",
                "FLOP",
                {"scope": "cumulative", "note": get(row, "flops_notes") or "Epoch's training compute includes any base model's"},
            ),
            ("finetune_flops", "finetune", "FLOP", {"note": get(row, "finetune_notes")}),
            ("training_datapoints", "dataset", "datapoints", {"note": get(row, "dataset_notes")}),
            ("gpu_count", "quantity", "GPUs", {"accelerator": get(row, "hardware")}),
            ("training_hours", "hours", "hours", {}),
        ):
            raw_value = get(row, key)
            if raw_value is None:
                continue
            batch.fact(
                record_id=record_id,
                model_name=name,
                quantity=quantity,
                value=number(raw_value),
                value_raw=raw_value,
                unit=unit,
                kind="estimated",
                source=source,
                url=url,
                as_of=as_of,
                confidence=confidence,
                **{k: (v[:2000] if isinstance(v, str) else v) for k, v in extra.items()},
            )


def read_benchmark(raw: bytes, batch: Batch, *, benchmark: str | None = None, url: str = BENCHMARKS_URL) -> None:
    """A Benchmarking Hub CSV: one benchmark per file (`benchmark` names it), or the runs export whose `task`
    column names each row's. Scores are fractions; a model version's run setting (`_high`, `_32K`) is kept
    as the score's `setting`, and every version's model becomes a model record (a score with no compute
    still makes a row)."""
    opened = _open(raw, batch, "epoch_benchmarks", BENCHMARK_COLUMNS, ("version", "score"))
    if opened is None:
        return
    frame, cols, get = opened
    if cols["task"] is None and not benchmark:
        return batch.reject("*", "one benchmark per file needs `benchmark:` in the catalogue (or a `task` column)", check="catalogue")
    seen: dict[str, dict] = {}
    for index, row in enumerate(frame.iter_rows(named=True)):
        version = get(row, "version")
        record_id = get(row, "id") or f"row {index + 2}"
        if not version:
            batch.reject(record_id, "row has no model version", check="model_name", raw=str(row)[:2000])
            continue
        status = get(row, "status")
        if status and status.lower() != "success":
            batch.reject(record_id, f"run status is {status!r}, not a result", check="status", raw=str(row)[:2000])
            continue
        task = get(row, "task") if cols["task"] else None
        model, setting = split_version(version)
        score = number(row.get(cols["score"]))
        as_of = iso_date(get(row, "date"))
        batch.benchmark(
            record_id=record_id,
            model_name=model,
            benchmark=task or benchmark,
            metric="mean_score",
            score_raw=get(row, "score"),
            score=score,
            scale="fraction",
            score_pct=to_percent(score, "fraction"),
            source=f"Epoch AI Benchmarking Hub ({version})",
            url=get(row, "log") or url,
            as_of=as_of,
            setting=setting,
            kind="estimated",
        )
        release = (get(row, "release") or "")[:10] or None
        record = seen.setdefault(model, {"record_id": record_id, "organization": None, "as_of": None})
        record["organization"] = record["organization"] or get(row, "organization")
        record["as_of"] = record["as_of"] or release
        flops = get(row, "flops")
        if flops:
            batch.fact(
                record_id=record_id,
                model_name=model,
                quantity="training_flops",
                value=number(flops),
                value_raw=flops,
                unit="FLOP",
                kind="estimated",
                source="Epoch AI Benchmarking Hub",
                url=url,
                scope="cumulative",
                note="Epoch's training compute includes any base model's",
                as_of=release or as_of,
            )
    for model, record in seen.items():
        batch.model(record_id=record["record_id"], model_name=model, organization=record["organization"], as_of=record["as_of"], origin=url)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"), start=1
    )
}


def iso_date(value: str | None) -> str | None:
    """`17 November 2025 4:28pm` (the runs export) or an ISO timestamp -> YYYY-MM-DD."""
    if not value:
        return None
    if re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    match = re.match(r"^(\d{1,2}) ([A-Za-z]+) (\d{4})", value)
    if match and match[2].lower() in _MONTHS:
        return f"{match[3]}-{_MONTHS[match[2].lower()]:02d}-{int(match[1]):02d}"
    return None


def same_release(version: str, model: str) -> bool:
    """Is a Benchmarking Hub version id the model's own release, rather than a variant of it? The same name once a
    run setting and an API snapshot date are removed (`claude-3-7-sonnet-20250219` is Claude 3.7 Sonnet;
    `Llama-3.1-8B-Instruct` is not Llama 3.1-8B, and `DeepSeek-R1-0528` is not DeepSeek-R1)."""
    from pipeline.resolution import name_key

    tail = SNAPSHOT_DATE.sub("", base_model_version(version).rsplit("/", 1)[-1])
    return bool(name_key(tail)) and name_key(tail) == name_key(model)


def _hub_id(link: str | None) -> str | None:
    match = re.match(r"^https://huggingface\.co/([A-Za-z0-9][\w.-]*/[\w.-]+)/?$", link or "")
    return match[1] if match else None


# The words that make a version an Instruct or chat variant of the model Epoch lists it under (`gemma-2-9b-it`).
VARIANT_WORDS = frozenset({"instruct", "chat", "it"})


def is_tuned_variant(version: str) -> bool:
    return bool(VARIANT_WORDS & set(re.split(r"[-_. ]+", base_model_version(version).rsplit("/", 1)[-1].lower())))


# A display name that names a dated release: `GPT-4o (Nov 2024)`, `Claude 3.5 Sonnet (Oct 2024)` (not `o1 (medium)`).
DATED_RELEASE = re.compile(r"\((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}\)$", re.IGNORECASE)


def read_model_versions(raw: bytes, batch: Batch, *, url: str = BENCHMARKS_URL) -> None:
    """The Benchmarking Hub's model versions: which API or Hub id is which Epoch model. The rule, in order:
    - a version whose `Display name` names a dated release (`gpt-4o-2024-11-20` is `GPT-4o (Nov 2024)`, a
      notable-models row of its own) becomes that release's alias, never the undated model's; the earliest dated
      release also takes the undated name when no version is the undated model's own release (Epoch's
      `Claude 3.5 Sonnet` row is the June 2024 release, `DeepSeek-R1` is not `DeepSeek-R1 (May 2025)`);
    - a version that is the listed model's own release (see `same_release`) becomes the model's alias;
    - an Instruct or chat variant (`is_tuned_variant`) stays a model of its own, linked to the listed model as
      its `base_model`;
    - any other version (a later checkpoint, a quantisation, a host's copy) is counted as skipped, never merged."""
    opened = _open(raw, batch, "epoch_model_versions", VERSION_COLUMNS, ("id", "model"))
    if opened is None:
        return
    frame, _, get = opened
    rows = []
    for index, row in enumerate(frame.iter_rows(named=True)):
        version, model, display = get(row, "id"), " ".join((get(row, "model") or "").split()), get(row, "display")
        if not version:
            batch.reject(f"row {index + 2}", "row has no version id", check="model_name", raw=str(row)[:2000])
            continue
        rows.append(
            {
                "record_id": f"row {index + 2}",
                "version": version,
                "model": model,
                "link": get(row, "link"),
                "date": (get(row, "date") or "")[:10] or None,
                "dated": " ".join(display.split()) if display and DATED_RELEASE.search(display) else None,
            }
        )
    undated_own = {r["model"] for r in rows if r["model"] and not r["dated"] and same_release(r["version"], r["model"])}
    earliest: dict[str, str] = {}
    for r in sorted((r for r in rows if r["dated"] and r["model"] not in undated_own), key=lambda r: r["date"] or "9999"):
        earliest.setdefault(r["model"], r["dated"])
    models: dict[str, dict] = {}
    for r in rows:
        if r["dated"]:
            target = r["dated"]
        elif r["model"] and same_release(r["version"], r["model"]):
            target = r["model"]
        else:
            if r["model"] and is_tuned_variant(r["version"]):
                batch.model(
                    record_id=r["record_id"],
                    model_name=base_model_version(r["version"]),
                    hub_id=_hub_id(r["link"]),
                    base_model=r["model"],
                    origin=url,
                )
            else:
                batch.skipped += 1  # counted: a variant is not an alias of the model it is a version of
            continue
        entry = models.setdefault(target, {"record_id": r["record_id"], "aliases": [], "hub_id": None, "as_of": None})
        entry["aliases"].append(r["version"])
        entry["hub_id"] = entry["hub_id"] or _hub_id(r["link"])
        entry["as_of"] = entry["as_of"] or r["date"]
    for model, dated in earliest.items():
        if dated in models and model not in models:
            models[dated]["aliases"].append(model)
    for model, entry in models.items():
        batch.model(
            record_id=entry["record_id"],
            model_name=model,
            hub_id=entry["hub_id"],
            aliases=entry["aliases"],
            as_of=entry["as_of"],
            origin=url,
        )


def read_distilled(raw: bytes, batch: Batch, *, url: str = DISTILLED_URL) -> None:
    """Epoch AI's judgement of which models are distilled (TRUE / FALSE), with its confidence and notes."""
    opened = _open(raw, batch, "epoch_distilled", DISTILLED_COLUMNS, ("model", "distilled"))
    if opened is None:
        return
    frame, _, get = opened
    seen: set[str] = set()
    for index, row in enumerate(frame.iter_rows(named=True)):
        version, flag = get(row, "model"), (get(row, "distilled") or "").upper()
        record_id = f"row {index + 2}"
        if not version or flag not in ("TRUE", "FALSE"):
            batch.reject(record_id, "row needs a model and distilled TRUE or FALSE", check="distilled", raw=str(row)[:2000])
            continue
        model = base_model_version(version)
        if model in seen:  # the same model at another run setting: one judgement per model
            continue
        seen.add(model)
        confidence, notes = get(row, "confidence"), get(row, "notes")
        basis = f"Epoch AI distilled-models list: {flag.lower()} ({confidence or 'no'} confidence)" + (f"; {notes}" if notes else "")
        batch.model(record_id=record_id, model_name=model, distilled=flag == "TRUE", distilled_basis=basis[:2000], origin=url)
