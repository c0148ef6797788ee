"""Leaderboards and local evaluation logs: the Open LLM Leaderboard v2, lm-evaluation-harness and simple-evals."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC
from statistics import fmean

from pipeline.sources.records import Batch, number, text, to_percent
from pipeline.sources.tabular import RAGGED_ROW, TableError, pick, read_table

OLL_URL = "https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard"
OLL_BENCHMARKS = ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro")
# The columns the reader looks for, by role (the first present is used); the snapshot builder keeps exactly these.
OLL_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("model_name", "fullname", "eval_name", "Model"),
    "id": ("id",),
    "sha": ("model_sha",),
    "date": ("metadata_submission_date", "Submission Date"),
    "params": ("metadata_params_billions", "#Params (B)"),
    "official": ("features_is_official_provider", "Official Providers"),
    "base": ("metadata_base_model", "Base Model"),
    "moe": ("features_is_moe", "MoE"),
    "type": ("model_type", "Type"),
    "precision": ("model_precision", "Precision"),
    **{f"{bench}_{part}": (f"evaluations_{bench}_{part}",) for bench in OLL_BENCHMARKS for part in ("value", "normalized_score")},
}


def read_open_llm_leaderboard(raw: bytes, batch: Batch, *, url: str = OLL_URL) -> None:
    """The v2 contents table (CSV or Parquet).

    Each benchmark has a raw value (0-1) and a normalised score (0-100, random baseline removed). Both
    are kept as separate benchmarks: the leaderboard's GPQA averages three GPQA subsets and is not
    GPQA Diamond, and its CO2 cost is the cost of the evaluation run, not of training.
    """
    try:
        frame = read_table(
            raw, name="open_llm_leaderboard", on_bad_row=lambda rid, why, row: batch.reject(rid, why, check=RAGGED_ROW, raw=row)
        )
    except TableError as exc:
        return batch.reject("*", str(exc), check="format")
    name_col = pick(frame, *OLL_COLUMNS["name"])
    if name_col is None:
        return batch.reject("*", f"no model name column among {frame.columns[:8]}", check="columns")
    if not any(pick(frame, *OLL_COLUMNS[f"{bench}_{part}"]) for bench in OLL_BENCHMARKS for part in ("value", "normalized_score")):
        # (the v1 leaderboard's ARC, HellaSwag, ... are other benchmarks: a v1 table is refused, not read as empty)
        return batch.reject(
            "*",
            f"no Open LLM Leaderboard v2 benchmark column (evaluations_<benchmark>_value) among "
            f"{frame.columns[:12]}: not a v2 contents table",
            check="columns",
        )
    date_col = pick(frame, *OLL_COLUMNS["date"])
    official_col, base_col, moe_col = (pick(frame, *OLL_COLUMNS[role]) for role in ("official", "base", "moe"))
    seen: set[str] = set()
    for index, row in enumerate(frame.iter_rows(named=True)):
        model = text(row.get(name_col))
        record_id = text(row.get("id")) or f"row {index + 2}"
        if not model:
            batch.reject(record_id, "row has no model name", check="model_name", raw=str(row)[:2000])
            continue
        as_of = (text(row.get(date_col)) or "")[:10] or None if date_col else None
        # An official provider's repository is a model; anyone else's submission is a score until another source
        # names the model (its scores stay in core.benchmark_scores either way).
        if official_col and (text(row.get(official_col)) or "").lower() == "true" and model not in seen:
            seen.add(model)
            base = text(row.get(base_col)) if base_col else None
            batch.model(
                record_id=record_id,
                model_name=model,
                hub_id=model if "/" in model else None,
                organization=model.split("/", 1)[0] if "/" in model else None,
                base_model=base if base and base != model else None,
                as_of=as_of,
                origin=f"https://huggingface.co/{model}",
                tags="moe" if moe_col and (text(row.get(moe_col)) or "").lower() == "true" else None,
            )
        for bench in OLL_BENCHMARKS:
            value_col = pick(frame, f"evaluations_{bench}_value")
            norm_col = pick(frame, f"evaluations_{bench}_normalized_score")
            for column, suffix, scale in ((value_col, "", "fraction"), (norm_col, " (normalized)", "percent")):
                raw_value = text(row.get(column)) if column else None
                if raw_value is None:
                    continue
                score = number(raw_value)
                batch.benchmark(
                    record_id=record_id,
                    model_name=model,
                    benchmark=f"open_llm_leaderboard:{bench}{suffix}",
                    metric="normalized_score" if suffix else "acc",
                    score_raw=raw_value,
                    score=score,
                    scale=scale,
                    score_pct=to_percent(score, scale),
                    source="Open LLM Leaderboard v2",
                    url=url,
                    as_of=as_of,
                    kind="estimated",
                )
        params = pick(frame, *OLL_COLUMNS["params"])
        if params and text(row.get(params)):
            value = number(row.get(params))
            batch.fact(
                record_id=record_id,
                model_name=model,
                quantity="params_total",
                value=None if value is None else value * 1e9,
                value_raw=text(row.get(params)),
                unit="parameters",
                kind="estimated",
                source="Open LLM Leaderboard v2 (params_billions)",
                url=url,
                as_of=as_of,
            )


# lm-evaluation-harness metrics that are proportions in [0, 1]; others (perplexity, mcc, ...) are kept unscaled.
PROPORTION_METRICS = {"acc", "acc_norm", "exact_match", "em", "f1", "pass@1", "pass_at_1", "accuracy", "contains"}


def read_lm_eval_results(raw: bytes, record_id: str, batch: Batch, *, model: str | None = None) -> None:
    """An lm-evaluation-harness `results_*.json`: one row per (task, metric, filter)."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return batch.reject(record_id, f"not JSON: {exc}"[:300], check="json")
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        return batch.reject(record_id, "no `results` mapping: not an lm-eval results file", check="lm_eval_results")
    config = _mapping(doc.get("config"))
    model_name = model or text(doc.get("model_name")) or _pretrained(text(config.get("model_args")))
    if not model_name:
        return batch.reject(record_id, "cannot tell which model was evaluated (no model_name or pretrained=)", check="model_name")
    samples, configs = _mapping(doc.get("n-samples")), _mapping(doc.get("configs"))
    as_of = _date(doc.get("date"))
    for task, metrics in doc["results"].items():
        if not isinstance(metrics, dict):
            batch.reject(
                f"{record_id}:{task}",
                f"results for task {task!r} are not a mapping of metrics",
                check="lm_eval_results",
                raw=json.dumps(metrics, default=str)[:2000],
            )
            continue
        task_config = _mapping(configs.get(task))
        gen = _mapping(task_config.get("generation_kwargs"))
        repeats = task_config.get("repeats")
        n_questions = _mapping(samples.get(task)).get("effective")
        for key, value in metrics.items():
            # v0.4 writes `metric,filter` (with an `alias` text beside them); v0.3 wrote a bare `metric`
            if "," not in key and (isinstance(value, bool) or not isinstance(value, (int, float))):
                continue
            metric, filter_name = key.split(",", 1) if "," in key else (key, "none")
            if metric.endswith("_stderr"):
                continue
            score = number(value)
            scale = "fraction" if metric in PROPORTION_METRICS else "other"
            batch.benchmark(
                record_id=record_id,
                model_name=model_name,
                benchmark=f"lm_eval:{task}",
                metric=metric if filter_name == "none" else f"{metric} ({filter_name})",
                score_raw=text(value),
                score=score,
                scale=scale,
                score_pct=to_percent(score, scale),
                k=int(repeats) if isinstance(repeats, int) else None,
                temperature=number(gen.get("temperature")),
                top_p=number(gen.get("top_p")),
                n_questions=int(n_questions) if isinstance(n_questions, int) else None,
                source="lm-evaluation-harness results",
                url=None,
                as_of=as_of,
                kind="estimated",
            )


def _mapping(value) -> dict:
    """`value` where it is a mapping, else an empty one: a field of another shape is read as absent."""
    return value if isinstance(value, dict) else {}


def _pretrained(model_args: str | None) -> str | None:
    match = re.search(r"(?:^|,)pretrained=([^,]+)", model_args or "")
    return match.group(1) if match else None


def _date(value) -> str | None:
    seconds = number(value)
    if seconds is None or not 0 < seconds < 4e9:
        return None
    from datetime import datetime

    return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()


_SAMPLES_NAME = re.compile(r"samples_(?P<task>.+?)_(?P<stamp>\d{4}-\d{2}-\d{2}T[\d\-.]+)\.jsonl$")


def pass_at_1(correct_by_question: dict[str, list[float]]) -> tuple[float, int, int]:
    """The paper's pass@1 (§3.4): per question the mean correctness over its k samples, then the mean
    over questions. Returns (pass@1 as a fraction, number of questions, k = most samples per question)."""
    per_question = [fmean(values) for values in correct_by_question.values() if values]
    if not per_question:
        raise ValueError("no scored samples")
    return fmean(per_question), len(per_question), max(len(v) for v in correct_by_question.values())


def read_lm_eval_samples(
    raw: bytes,
    record_id: str,
    batch: Batch,
    *,
    model: str | None = None,
    metric: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
) -> None:
    """An lm-evaluation-harness `samples_<task>_<time>.jsonl`: pass@1 over the per-sample correctness."""
    match = _SAMPLES_NAME.search(record_id)
    task = match["task"] if match else record_id.rsplit("/", 1)[-1].removesuffix(".jsonl")
    model_name = model or _model_from_path(record_id)
    if not model_name:
        return batch.reject(record_id, "cannot tell which model the samples are for (name the source's `model`)", check="model_name")
    correct: dict[str, list[float]] = defaultdict(list)
    chosen_metric = metric
    for line_number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            sample = json.loads(line)
        except (ValueError, RecursionError) as exc:
            batch.reject(f"{record_id}:{line_number}", f"line is not JSON: {exc}"[:300], check="jsonl", raw=line[:2000])
            continue
        if not isinstance(sample, dict):
            batch.reject(f"{record_id}:{line_number}", "line is not a JSON object", check="jsonl", raw=line[:2000])
            continue
        if chosen_metric is None:
            names = [m for m in sample["metrics"] if isinstance(m, str)] if isinstance(sample.get("metrics"), list) else []
            chosen_metric = next((m for m in names if m in PROPORTION_METRICS), names[0] if names else None)
        value = number(sample.get(chosen_metric)) if chosen_metric else None
        question = str(sample.get("doc_hash") or sample.get("doc_id"))
        if value is None or question == "None":
            batch.reject(
                f"{record_id}:{line_number}", f"sample has no {chosen_metric!r} value or no doc id", check="sample", raw=line[:2000]
            )
            continue
        correct[question].append(value)
    if not correct:
        return batch.reject(record_id, "no scored samples in the file", check="samples")
    score, questions, k = pass_at_1(correct)
    as_of = match["stamp"][:10] if match else None
    batch.benchmark(
        record_id=record_id,
        model_name=model_name,
        benchmark=f"lm_eval:{task}",
        metric=f"pass@1 ({chosen_metric})",
        score_raw=f"{score}",
        score=score,
        scale="fraction",
        score_pct=score * 100,
        k=k,
        temperature=temperature,
        top_p=top_p,
        n_questions=questions,
        source="lm-evaluation-harness per-sample log",
        url=None,
        as_of=as_of,
        kind="estimated",
    )


def _model_from_path(record_id: str) -> str | None:
    # lm-eval writes outputs under <output>/<org>__<model>/; take that folder name when present
    for part in reversed(record_id.split("/")[:-1]):
        if "__" in part:
            return part.replace("__", "/", 1)
    return None


def read_simple_evals(raw: bytes, record_id: str, batch: Batch, *, model: str, benchmark: str) -> None:
    """A simple-evals output JSON ({"score": 0.1, "score:std": ..., ...}); the model and benchmark come from the catalogue."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return batch.reject(record_id, f"not JSON: {exc}"[:300], check="json")
    if not isinstance(doc, dict) or "score" not in doc:
        return batch.reject(record_id, "no `score` key: not a simple-evals output", check="simple_evals")
    score = number(doc.get("score"))
    batch.benchmark(
        record_id=record_id,
        model_name=model,
        benchmark=benchmark,
        metric="score",
        score_raw=text(doc.get("score")),
        score=score,
        scale="fraction",
        score_pct=to_percent(score, "fraction"),
        source="simple-evals output",
        url=None,
        kind="estimated",
    )
