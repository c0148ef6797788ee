"""Seeded generators of real-format inputs: model cards and cost-model fact rows."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import yaml

KINDS = ("reported", "estimated", "published")


def card_text(i: int, rng: random.Random) -> str:
    params = rng.choice([1, 3, 7, 8, 14, 32, 70, 405]) * 1e9
    teacher = rng.random() < 0.3
    meta = {
        "license": rng.choice(["mit", "apache-2.0", "llama3.1"]),
        "base_model": f"org{i % 97}/base-{i % 13}" if teacher else None,
        "tags": ["distillation"] if teacher else ["text-generation"],
        "model-index": [
            {
                "name": f"model-{i}",
                "results": [
                    {
                        "task": {"type": "text-generation"},
                        "dataset": {"name": "GPQA Diamond", "type": "Idavidrein/gpqa", "config": "gpqa_diamond"},
                        "metrics": [{"type": "pass@1", "value": round(rng.uniform(10, 80), 1)}],
                    },
                    {
                        "task": {"type": "text-generation"},
                        "dataset": {"name": "AIME 2024", "type": "HuggingFaceH4/aime_2024"},
                        "metrics": [{"type": "pass@1", "value": round(rng.uniform(0, 90), 1)}],
                    },
                ],
            }
        ],
        "ledger": {
            "id": f"org{i % 997}/model-{i}",
            "name": f"Model {i}",
            "model_type": "Distilled" if teacher else "Vanilla",
            "method": "distillation" if teacher else "pretraining",
            **({"teacher": "org0/model-0"} if teacher else {}),
            "facts": [
                {
                    "quantity": "params_total",
                    "value": params,
                    "unit": "parameters",
                    "kind": rng.choice(KINDS),
                    "source": "synthetic",
                    "url": "https://example.org/params",
                },
                {
                    "quantity": "training_tokens",
                    "value": rng.choice([1, 2, 15, 36]) * 1e12,
                    "unit": "tokens",
                    "kind": rng.choice(KINDS),
                    "source": "synthetic",
                    "url": "https://example.org/tokens",
                },
            ],
        },
    }
    meta = {k: v for k, v in meta.items() if v is not None}
    text = f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n\n# Model {i}\n\nA synthetic card for the benchmark.\n"
    variant = i % 10
    if variant == 7:
        return text.replace("\n", "\r\n")  # CRLF
    if variant == 8:
        return f"# Model {i}\n\nNo front matter at all.\n"  # messy: none
    if variant == 9:
        return text.replace("license: ", "license:\t", 1)  # messy: a TAB PyYAML refuses
    return text


def write_cards(folder: Path, n: int, seed: int = 7) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for i in range(n):
        (folder / f"org{i % 997}__model-{i}.md").write_text(card_text(i, rng), newline="")
    return folder


def cost_rows(n: int, seed: int = 7) -> pl.DataFrame:
    """`n` rows of everything the bare cost columns need (the prototype's micro-benchmark)."""
    import numpy as np

    gen = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "params": gen.choice([1e9, 8e9, 70e9, 405e9], n),
            "tokens": gen.choice([1e12, 15e12, 36e12], n),
            "peak_flops_per_s": gen.choice([312e12, 989.4e12, 2250e12], n),
            "mfu": gen.uniform(0.25, 0.45, n),
            "tdp_w": gen.choice([400.0, 700.0, 1000.0], n),
            "pue": np.full(n, 1.1),
            "grid": gen.uniform(0.03, 0.7, n),
        }
    )


def fact_rows(n: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`n` fact rows (four per model) and the models they describe, in the pipeline's own shapes."""
    import numpy as np

    gen = np.random.default_rng(seed)
    models = n // 4
    ids = [f"org{i % 997}/model-{i}" for i in range(models)]
    quantities = ["params_total", "training_tokens", "params_total", "training_tokens"]
    kinds = ["published", "published", "reported", "reported"]
    facts = pl.DataFrame(
        {
            "source_name": "bench",
            "record_id": np.repeat(ids, 4),
            "model_name": np.repeat(ids, 4),
            "quantity": quantities * models,
            "kind": kinds * models,
            "value": np.where(
                np.tile([True, False, True, False], models),
                gen.choice([1e9, 8e9, 70e9], models * 4),
                gen.choice([1e12, 15e12, 36e12], models * 4),
            ),
            "unit": np.where(np.tile([True, False, True, False], models), "parameters", "tokens"),
            "value_raw": None,
            "source": "synthetic",
            "url": "https://example.org/x",
            "accelerator": None,
            "basis": None,
            "scope": "marginal",
            "note": None,
            "as_of": "2026-11-01",
            "confidence": None,
        },
        schema_overrides={"accelerator": pl.Utf8, "value_raw": pl.Utf8, "basis": pl.Utf8, "note": pl.Utf8, "confidence": pl.Utf8},
    )
    profiles = pl.DataFrame(
        {"model_id": ids, "model_type": "Vanilla", "method": "pretraining", "teacher": None, "base_model": None},
        schema_overrides={"teacher": pl.Utf8, "base_model": pl.Utf8},
    )
    return facts, profiles
