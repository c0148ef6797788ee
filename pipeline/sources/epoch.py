"""Epoch AI's data: the AI-models CSV (notable / all models) and the Benchmarking Hub CSVs.

Columns are picked by name, accepting renamed ones (`System` -> `Model`, `Training dataset size
(datapoints)` -> `(total)` / `(gradients)`). Epoch's "Training compute" already includes a base
model's compute, so its facts are marked `scope: cumulative` and never added to a base.
"""

from __future__ import annotations

import re

from pipeline.sources.records import Batch, number, text, to_percent
from pipeline.sources.tabular import TableError, pick, read_table

MODELS_URL = "https://epoch.ai/data/ai-models"
BENCHMARKS_URL = "https://epoch.ai/data/ai-benchmarking-dashboard"
# Model versions on the Benchmarking Hub carry run settings after an underscore: _high, _32K, ...
VERSION_SUFFIX = re.compile(r"_(?:x?high|medium|low|minimal|none|\d+K|thinking|reasoning)$", re.IGNORECASE)


def base_model_version(version: str) -> str:
    return VERSION_SUFFIX.sub("", version.strip())


def read_models(raw: bytes, batch: Batch, *, domains: list[str] | None = ("Language",), url: str = MODELS_URL) -> None:
    """One model per row; facts for parameters, training compute (cumulative), dataset size, hardware and time."""
    try:
        frame = read_table(raw, name="epoch_models")
    except TableError as exc:
        return batch.reject("*", str(exc), check="format")
    name_col = pick(frame, "Model", "System")
    if name_col is None:
        return batch.reject("*", f"no `Model` (or `System`) column among {frame.columns[:8]}", check="columns")
    cols = {
        "organization": pick(frame, "Organization"), "domain": pick(frame, "Domain"),
        "date": pick(frame, "Publication date"), "params": pick(frame, "Parameters"),
        "flops": pick(frame, "Training compute (FLOP)"), "flops_notes": pick(frame, "Training compute notes"),
        "dataset": pick(frame, "Training dataset size (total)", "Training dataset size (gradients)",
                        "Training dataset size (datapoints)"),
        "hardware": pick(frame, "Training hardware"), "quantity": pick(frame, "Hardware quantity"),
        "hours": pick(frame, "Training time (hours)"), "base": pick(frame, "Base model"),
        "finetune": pick(frame, "Finetune compute (FLOP)"), "access": pick(frame, "Model accessibility"),
        "link": pick(frame, "Link"), "confidence": pick(frame, "Confidence"),
    }
    get = lambda row, key: text(row.get(cols[key])) if cols[key] else None  # noqa: E731
    for index, row in enumerate(frame.iter_rows(named=True)):
        name = text(row.get(name_col))
        record_id = f"row {index + 2}"
        if not name:
            batch.reject(record_id, "row has no model name", check="model_name", raw=str(row)[:2000])
            continue
        name = " ".join(name.split())  # multi-line cells: "VAETKI\n" -> "VAETKI"
        domain = get(row, "domain") or ""
        if domains and not any(d.lower() in domain.lower() for d in domains):
            batch.skipped += 1
            continue
        access = (get(row, "access") or "").lower()
        proprietary = access.startswith(("api", "hosted", "unreleased"))
        as_of = (get(row, "date") or "")[:10] or None
        batch.model(record_id=record_id, model_name=name, organization=get(row, "organization"),
                    model_type="Proprietary" if proprietary else None, method="external", base_model=get(row, "base"),
                    distilled="distil" in name.lower(), distilled_basis="name contains 'distil'" if "distil" in name.lower()
                    else "no evidence of distillation in name", as_of=as_of, origin=get(row, "link") or url)
        source = "Epoch AI, AI models database"
        note = f"confidence: {get(row, 'confidence')}" if get(row, "confidence") else None
        for quantity, key, unit, extra in (
            ("params_total", "params", "parameters", {}),
            ("training_flops", "flops", "FLOP", {"scope": "cumulative", "note": "Epoch's training compute includes any base model's"}),
            ("training_tokens", "dataset", "tokens", {"note": "Epoch's training dataset size (datapoints: tokens for language models)"}),
            ("gpu_count", "quantity", "GPUs", {"accelerator": get(row, "hardware")}),
            ("training_hours", "hours", "hours", {}),
            ("finetune_flops", "finetune", "FLOP", {}),
        ):
            raw_value = get(row, key)
            if raw_value is None:
                continue
            batch.fact(record_id=record_id, model_name=name, quantity=quantity, value=number(raw_value), value_raw=raw_value,
                       unit=unit, kind="estimated", source=source, url=url, as_of=as_of, **({"note": note} | extra))


def read_benchmark(raw: bytes, batch: Batch, *, benchmark: str, url: str = BENCHMARKS_URL) -> None:
    """A Benchmarking Hub CSV (one benchmark): scores are fractions; model versions carry suffixes."""
    try:
        frame = read_table(raw, name="epoch_benchmarks")
    except TableError as exc:
        return batch.reject("*", str(exc), check="format")
    version_col = pick(frame, "Model version", "model_version", "Model")
    score_col = pick(frame, "mean_score", "Best score (across scorers)", "score")
    if version_col is None or score_col is None:
        return batch.reject("*", f"need `Model version` and `mean_score` columns, found {frame.columns[:8]}", check="columns")
    flops_col, date_col = pick(frame, "Training compute (FLOP)"), pick(frame, "Started at", "Release date")
    for index, row in enumerate(frame.iter_rows(named=True)):
        version = text(row.get(version_col))
        record_id = text(row.get("id")) or f"row {index + 2}"
        if not version:
            batch.reject(record_id, "row has no model version", check="model_name", raw=str(row)[:2000])
            continue
        model = base_model_version(version)
        score = number(row.get(score_col))
        as_of = (text(row.get(date_col)) or "")[:10] or None if date_col else None
        batch.benchmark(record_id=record_id, model_name=model, benchmark=benchmark, metric="mean_score",
                        score_raw=text(row.get(score_col)), score=score, scale="fraction", score_pct=to_percent(score, "fraction"),
                        source=f"Epoch AI Benchmarking Hub ({version})", url=url, as_of=as_of)
        flops = text(row.get(flops_col)) if flops_col else None
        if flops:
            batch.fact(record_id=record_id, model_name=model, quantity="training_flops", value=number(flops), value_raw=flops,
                       unit="FLOP", kind="estimated", source="Epoch AI Benchmarking Hub", url=url, scope="cumulative",
                       note="Epoch's training compute includes any base model's", as_of=as_of)
