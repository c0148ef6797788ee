"""Reference tables shipped in data/reference: accelerators, scenarios, workloads, benchmarks."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import yaml

from pipeline.sources.safe_yaml import check_yaml


def read_accelerators(path: Path) -> pl.DataFrame:
    return pl.read_csv(
        path,
        schema_overrides={
            "memory_gb": pl.Float64,
            "peak_bf16_dense_tflops": pl.Float64,
            "tdp_w": pl.Float64,
            "mfu_low": pl.Float64,
            "mfu_high": pl.Float64,
            "mfu_default": pl.Float64,
        },
    )


def read_benchmarks(path: Path) -> pl.DataFrame:
    return pl.read_csv(path)


def _load_yaml(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    check_yaml(text)
    doc = yaml.safe_load(text) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return doc


SCENARIO_COLUMNS = {
    "scenario": pl.Utf8,
    "description": pl.Utf8,
    "comparison_accelerator": pl.Utf8,
    "grid_region": pl.Utf8,
    "grid_tco2e_per_mwh": pl.Float64,
    "pue": pl.Float64,
    "moe_params": pl.Utf8,
    "fact_precedence": pl.Utf8,
    "score_precedence": pl.Utf8,
    "flops_method_precedence": pl.Utf8,
    "inference_mfu": pl.Float64,
    "fact_sources": pl.Utf8,
}
OVERRIDE_COLUMNS = {
    "scenario": pl.Utf8,
    "accelerator_id": pl.Utf8,
    "peak_tflops": pl.Float64,
    "mfu": pl.Float64,
    "price_usd_per_gpu_hour": pl.Float64,
}


def _float_or_none(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _joined(value) -> str:
    return "|".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value or "")


def scenario_row(name: str, spec: dict) -> dict:
    return {
        "scenario": name,
        "description": " ".join(str(spec.get("description", "")).split()),
        "comparison_accelerator": spec.get("comparison_accelerator"),
        "grid_region": spec.get("grid_region"),
        "grid_tco2e_per_mwh": _float_or_none(spec.get("grid_tco2e_per_mwh")),
        "pue": _float_or_none(spec.get("pue")),
        "moe_params": spec.get("moe_params"),
        "fact_precedence": _joined(spec.get("fact_precedence")),
        "score_precedence": _joined(spec.get("score_precedence")) or None,
        "flops_method_precedence": _joined(spec.get("flops_method_precedence")),
        "inference_mfu": _float_or_none(spec.get("inference_mfu")),
        "fact_sources": _joined(spec.get("fact_sources")) or None,
    }


def read_scenarios(path: Path) -> dict[str, pl.DataFrame]:
    """Scenario presets -> one row per scenario plus per-accelerator overrides."""
    doc = _load_yaml(path).get("scenarios") or {}
    scenarios, overrides = [], []
    for name, spec in doc.items():
        spec = spec or {}
        scenarios.append(scenario_row(str(name), spec))
        for accelerator_id, values in (spec.get("accelerators") or {}).items():
            values = values or {}
            overrides.append(
                {
                    "scenario": str(name),
                    "accelerator_id": str(accelerator_id),
                    "peak_tflops": _float_or_none(values.get("peak_tflops")),
                    "mfu": _float_or_none(values.get("mfu")),
                    "price_usd_per_gpu_hour": _float_or_none(values.get("price_usd_per_gpu_hour")),
                }
            )
    return {"scenarios": pl.DataFrame(scenarios, schema=SCENARIO_COLUMNS), "overrides": pl.DataFrame(overrides, schema=OVERRIDE_COLUMNS)}


WORKLOAD_COLUMNS = {
    "workload_id": pl.Utf8,
    "name": pl.Utf8,
    "section": pl.Utf8,
    "method": pl.Utf8,
    "params": pl.Float64,
    "teacher_params": pl.Float64,
    "tokens": pl.Float64,
    "samples": pl.Float64,
    "tokens_per_sample": pl.Float64,
    "epochs": pl.Float64,
    "training_flops": pl.Float64,
    "in_table2": pl.Boolean,
    "source": pl.Utf8,
    "url": pl.Utf8,
}


def read_workloads(path: Path) -> pl.DataFrame:
    doc = _load_yaml(path)
    rows = []
    for item in doc.get("workloads") or []:
        row = {column: item.get(column) for column in WORKLOAD_COLUMNS}
        for column, dtype in WORKLOAD_COLUMNS.items():
            if dtype == pl.Float64:
                row[column] = _float_or_none(row[column])
        row["in_table2"] = bool(item.get("in_table2", False))
        row["source"], row["url"] = doc.get("source"), doc.get("url")
        rows.append(row)
    return pl.DataFrame(rows, schema=WORKLOAD_COLUMNS)


def read_grid_intensity(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, schema_overrides={"gco2e_per_kwh": pl.Float64, "year": pl.Int64, "country": pl.Utf8})


def read_prices(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, schema_overrides={"usd_per_gpu_hour_low": pl.Float64, "usd_per_gpu_hour_high": pl.Float64, "as_of": pl.Utf8})
