"""The paper's cost model, one definition per formula (Wani et al. 2026, §2.3, §3.2, §3.3).

    pretraining   6 · N · D
    distillation  2 · N_teacher · D + 6 · N_student · D · epochs
    fine-tuning   6 · N · D · epochs
    hardware      GPU count · days · 24 · 3600 · peak FLOP/s · MFU
    inference     2 · N_active FLOPs per token
    GPU-hours     FLOPs / (peak FLOP/s · MFU · 3600)
    energy MWh    GPU-hours · TDP(MW) · PUE
    tCO2e         energy MWh · grid intensity (tCO2e/MWh)
    cost USD      GPU-hours · USD per GPU-hour

D is the tokens a run trains on: samples × tokens per sample where a card gives them, else its token count.
The paper writes distillation for one pass over the teacher's outputs; a student trained for several epochs on
them pays its 6 · N · D each epoch while the teacher generates them once, so epochs multiply only the student's
part (with epochs = 1 this is the paper's formula exactly).

Every function takes polars expressions (or plain numbers) and returns an expression, so the same code prices one
row or a million. Every path that prices something — a model's card, a paper workload, serving — calls these.
"""

from __future__ import annotations

import polars as pl

SECONDS_PER_HOUR = 3600.0
WATTS_PER_MEGAWATT = 1e6
GRAMS_PER_TONNE = 1e6
KWH_PER_MWH = 1000.0

IntoExpr = pl.Expr | float | int | None

# How each training method's FLOPs are written; a method not here (a card that declares its figure, `external`)
# still gets the pretraining formula as a candidate estimate when its inputs allow one.
TRAINING_FORMULAS = {"pretraining": "6*N*D", "distillation": "2*N_teacher*D + 6*N_student*D*epochs", "fine_tuning": "6*N*D*epochs"}
# The training methods a record may declare: the formulas above, or `external` (a figure given, not derived).
METHODS = [*TRAINING_FORMULAS, "external"]
HARDWARE_FORMULA = "GPU count x days x 24 h x peak x MFU"
GPU_HOURS_FORMULA = "FLOPs / (peak FLOP/s x MFU x 3600)"
EMISSIONS_FORMULA = "energy MWh x grid tCO2e/MWh"


def _expr(value: IntoExpr) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value
    return pl.lit(None, dtype=pl.Float64) if value is None else pl.lit(float(value))


def training_tokens(samples: IntoExpr, tokens_per_sample: IntoExpr, tokens: IntoExpr) -> pl.Expr:
    """D: samples × tokens per sample where both are given, else the token count."""
    return pl.coalesce(_expr(samples) * _expr(tokens_per_sample), _expr(tokens))


def pretraining_flops(params: IntoExpr, tokens: IntoExpr) -> pl.Expr:
    return 6.0 * _expr(params) * _expr(tokens)


def teacher_inference_flops(teacher_params: IntoExpr, tokens: IntoExpr) -> pl.Expr:
    """The teacher's forward passes that write the student's training data: 2 · N_teacher · D."""
    return 2.0 * _expr(teacher_params) * _expr(tokens)


def fine_tuning_flops(params: IntoExpr, tokens: IntoExpr, epochs: IntoExpr = 1) -> pl.Expr:
    """6 · N · D per epoch; a missing epoch count is one pass."""
    return pretraining_flops(params, tokens) * _expr(epochs).fill_null(1.0)


def student_flops(student_params: IntoExpr, tokens: IntoExpr, epochs: IntoExpr = 1) -> pl.Expr:
    """The student's part of distillation: it trains on the teacher's outputs once per epoch."""
    return fine_tuning_flops(student_params, tokens, epochs)


def distillation_flops(teacher_params: IntoExpr, student_params: IntoExpr, tokens: IntoExpr, epochs: IntoExpr = 1) -> pl.Expr:
    return teacher_inference_flops(teacher_params, tokens) + student_flops(student_params, tokens, epochs)


def method_flops(method: pl.Expr, params: IntoExpr, teacher_params: IntoExpr, tokens: IntoExpr, epochs: IntoExpr) -> pl.Expr:
    """Training FLOPs by the method's formula (TRAINING_FORMULAS); any other method is priced as pretraining."""
    return (
        pl.when(method == "distillation")
        .then(distillation_flops(teacher_params, params, tokens, epochs))
        .when(method == "fine_tuning")
        .then(fine_tuning_flops(params, tokens, epochs))
        .otherwise(pretraining_flops(params, tokens))
    )


def method_formula(method: pl.Expr) -> pl.Expr:
    """The formula `method_flops` used, as text."""
    return method.replace_strict(TRAINING_FORMULAS, default=TRAINING_FORMULAS["pretraining"], return_dtype=pl.Utf8)


def hardware_flops(gpu_count: IntoExpr, days: IntoExpr, peak_flops_per_s: IntoExpr, mfu: IntoExpr) -> pl.Expr:
    """The hardware-time method: GPUs × wall-clock hours × peak FLOP/s × MFU."""
    return _expr(gpu_count) * _expr(days) * 24.0 * SECONDS_PER_HOUR * _expr(peak_flops_per_s) * _expr(mfu)


def inference_flops_per_token(active_params: IntoExpr) -> pl.Expr:
    """A forward pass costs about 2 FLOPs per parameter a token passes through."""
    return 2.0 * _expr(active_params)


def gpu_hours(flops: IntoExpr, peak_flops_per_s: IntoExpr, mfu: IntoExpr) -> pl.Expr:
    return _expr(flops) / (_expr(peak_flops_per_s) * _expr(mfu) * SECONDS_PER_HOUR)


def energy_mwh(hours: IntoExpr, tdp_w: IntoExpr, pue: IntoExpr) -> pl.Expr:
    return _expr(hours) * (_expr(tdp_w) / WATTS_PER_MEGAWATT) * _expr(pue)


def emissions_tco2e(energy: IntoExpr, grid_tco2e_per_mwh: IntoExpr) -> pl.Expr:
    return _expr(energy) * _expr(grid_tco2e_per_mwh)


def cost_usd(hours: IntoExpr, usd_per_gpu_hour: IntoExpr) -> pl.Expr:
    return _expr(hours) * _expr(usd_per_gpu_hour)


def serving_per_million_tokens(
    flops_per_token: IntoExpr,
    peak_flops_per_s: IntoExpr,
    mfu: IntoExpr,
    tdp_w: IntoExpr,
    pue: IntoExpr,
    grid_tco2e_per_mwh: IntoExpr,
    usd_per_gpu_hour: IntoExpr,
) -> dict[str, pl.Expr]:
    """Serving a million tokens: the training formulas applied to 1e6 tokens' forward passes."""
    hours = gpu_hours(_expr(flops_per_token) * 1e6, peak_flops_per_s, mfu)
    energy = energy_mwh(hours, tdp_w, pue)
    return {
        "gpu_seconds_per_million_tokens": hours * SECONDS_PER_HOUR,
        "energy_kwh_per_million_tokens": energy * KWH_PER_MWH,
        "gco2e_per_million_tokens": emissions_tco2e(energy, grid_tco2e_per_mwh) * GRAMS_PER_TONNE,
        "cost_usd_per_million_tokens": cost_usd(hours, usd_per_gpu_hour),
    }
