"""The paper's cost model as pure polars: FLOPs by method, GPU-hours, energy and emissions.

Formulas (Wani et al. 2026, §2.3, §3.2, §3.3):
    pretraining   6 · N · D
    distillation  2 · N_teacher · D + 6 · N_student · D
    fine-tuning   6 · N · D · epochs
    GPU-hours     FLOPs / (peak FLOP/s · MFU · 3600)
    energy MWh    GPU-hours · TDP(MW) · PUE
    tCO2e         energy MWh · grid intensity (tCO2e/MWh)
Every function takes polars expressions (or plain numbers) and returns an expression, so the same
code prices one row or a million.
"""

from __future__ import annotations

import polars as pl

SECONDS_PER_HOUR = 3600.0
WATTS_PER_MEGAWATT = 1e6

IntoExpr = pl.Expr | float | int


def _expr(value: IntoExpr) -> pl.Expr:
    return value if isinstance(value, pl.Expr) else pl.lit(float(value))


def pretraining_flops(params: IntoExpr, tokens: IntoExpr) -> pl.Expr:
    return 6.0 * _expr(params) * _expr(tokens)


def teacher_inference_flops(teacher_params: IntoExpr, tokens: IntoExpr) -> pl.Expr:
    return 2.0 * _expr(teacher_params) * _expr(tokens)


def distillation_flops(teacher_params: IntoExpr, student_params: IntoExpr, tokens: IntoExpr) -> pl.Expr:
    return teacher_inference_flops(teacher_params, tokens) + pretraining_flops(student_params, tokens)


def fine_tuning_flops(params: IntoExpr, tokens: IntoExpr, epochs: IntoExpr) -> pl.Expr:
    return pretraining_flops(params, tokens) * _expr(epochs)


def gpu_hours(flops: IntoExpr, peak_flops_per_s: IntoExpr, mfu: IntoExpr) -> pl.Expr:
    return _expr(flops) / (_expr(peak_flops_per_s) * _expr(mfu) * SECONDS_PER_HOUR)


def energy_mwh(hours: IntoExpr, tdp_w: IntoExpr, pue: IntoExpr) -> pl.Expr:
    return _expr(hours) * (_expr(tdp_w) / WATTS_PER_MEGAWATT) * _expr(pue)


def emissions_tco2e(energy: IntoExpr, grid_tco2e_per_mwh: IntoExpr) -> pl.Expr:
    return _expr(energy) * _expr(grid_tco2e_per_mwh)


# --- frame-level steps -------------------------------------------------------------------------

def resolve_facts(facts: pl.DataFrame, scenarios: pl.DataFrame) -> pl.DataFrame:
    """Pick one value per (scenario, model, quantity, accelerator) by the scenario's fact precedence.

    The first kind in `fact_precedence` wins; ties keep the card's order. Kinds not in the list
    rank last rather than being dropped.
    """
    ranks = pl.DataFrame(
        [{"scenario": s, "kind": kind, "kind_rank": rank}
         for s, order in scenarios.select("scenario", "fact_precedence").iter_rows()
         for rank, kind in enumerate(order.split("|") if order else [])],
        schema={"scenario": pl.Utf8, "kind": pl.Utf8, "kind_rank": pl.Int64},
    )
    return (
        facts.with_row_index("card_order")
        .join(scenarios.select("scenario"), how="cross")
        .join(ranks, on=["scenario", "kind"], how="left")
        .with_columns(pl.col("kind_rank").fill_null(99), pl.col("accelerator").fill_null(""))
        .sort("scenario", "model_id", "quantity", "accelerator", "kind_rank", "card_order")
        .unique(["scenario", "model_id", "quantity", "accelerator"], keep="first", maintain_order=True)
        .drop("card_order", "kind_rank")
    )


_INPUT_QUANTITIES = ["params_total", "params_active", "training_tokens", "distillation_samples",
                     "tokens_per_sample", "epochs"]


def model_inputs(models: pl.DataFrame, resolved: pl.DataFrame, scenarios: pl.DataFrame) -> pl.DataFrame:
    """One row per (scenario, model): the chosen inputs, with N chosen by the scenario's MoE convention."""
    wide = (
        resolved.filter(pl.col("quantity").is_in(_INPUT_QUANTITIES))
        .pivot(on="quantity", index=["scenario", "model_id"], values="value", aggregate_function="first")
    )
    for quantity in _INPUT_QUANTITIES:
        if quantity not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(quantity))

    def provenance(quantity: str, prefix: str, accelerator_filter: pl.Expr | None = None) -> pl.DataFrame:
        rows = resolved.filter(pl.col("quantity") == quantity)
        if accelerator_filter is not None:
            rows = rows.filter(accelerator_filter)
        return rows.select(
            "scenario", "model_id",
            pl.col("value").alias(f"{prefix}_value"), pl.col("kind").alias(f"{prefix}_kind"),
            pl.col("source").alias(f"{prefix}_source"), pl.col("url").alias(f"{prefix}_url"),
            *([pl.col("accelerator").alias(f"{prefix}_accelerator")] if quantity == "gpu_hours" else []),
        ).unique(["scenario", "model_id"], keep="first", maintain_order=True)

    frame = (
        models.select("model_id", "name", "model_type", "method", "teacher", "base_model")
        .join(scenarios.select("scenario", "moe_params", "comparison_accelerator"), how="cross")
        .join(wide, on=["scenario", "model_id"], how="left")
        .join(provenance("training_flops", "external_flops"), on=["scenario", "model_id"], how="left")
        .join(provenance("gpu_hours", "reported_gpu_hours"), on=["scenario", "model_id"], how="left")
        .join(provenance("tco2e", "reported_tco2e"), on=["scenario", "model_id"], how="left")
        .with_columns(params_used=_params_for(pl.col("params_total"), pl.col("params_active"), pl.col("moe_params")))
    )
    teachers = frame.select(
        "scenario", pl.col("model_id").alias("teacher"), pl.col("params_used").alias("teacher_params_used"))
    return frame.join(teachers, on=["scenario", "teacher"], how="left")


def _params_for(total: pl.Expr, active: pl.Expr, convention: pl.Expr) -> pl.Expr:
    return pl.when(convention == "active").then(pl.coalesce(active, total)).otherwise(pl.coalesce(total, active))


def training_flops(inputs: pl.DataFrame) -> pl.DataFrame:
    """Add training FLOPs by each model's method, with the method and the kind of the number."""
    distill_tokens = pl.coalesce(pl.col("distillation_samples") * pl.col("tokens_per_sample"), pl.col("training_tokens"))
    epochs = pl.col("epochs").fill_null(1.0)
    method = pl.col("method")
    teacher = teacher_inference_flops(pl.col("teacher_params_used"), distill_tokens)
    student = pretraining_flops(pl.col("params_used"), distill_tokens) * epochs
    flops = (
        pl.when(method == "pretraining").then(pretraining_flops(pl.col("params_used"), pl.col("training_tokens")))
        .when(method == "distillation").then(teacher + student)
        .when(method == "fine_tuning").then(fine_tuning_flops(pl.col("params_used"), pl.col("training_tokens"), epochs))
        .when(method == "external").then(pl.col("external_flops_value"))
    )
    formula = (
        pl.when(method == "pretraining").then(pl.lit("6*N*D"))
        .when(method == "distillation").then(pl.lit("2*N_teacher*D + 6*N_student*D"))
        .when(method == "fine_tuning").then(pl.lit("6*N*D*epochs"))
        .otherwise(pl.lit("as given"))
    )
    return inputs.with_columns(
        distillation_tokens=pl.when(method == "distillation").then(distill_tokens),
        teacher_flops=pl.when(method == "distillation").then(teacher),
        student_flops=pl.when(method == "distillation").then(student),
        training_flops=flops,
        training_flops_method=formula,
        training_flops_kind=pl.when(method == "external").then(pl.col("external_flops_kind")).otherwise(pl.lit("computed")),
        training_flops_source=pl.when(method == "external").then(pl.col("external_flops_source"))
        .otherwise(pl.lit("Distill Ledger, from the card's parameters and tokens")),
    )


def scenario_accelerators(accelerators: pl.DataFrame, scenarios: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """Per (scenario, accelerator): peak FLOP/s, MFU (and its range), TDP, PUE and grid intensity."""
    mfu = pl.coalesce(pl.col("mfu_override"), pl.col("mfu_default"))
    return (
        accelerators.select("accelerator_id", "name", "peak_bf16_dense_tflops", "tdp_w", "mfu_low", "mfu_high",
                            "mfu_default", "datasheet_url")
        .join(scenarios.select("scenario", "pue", "grid_tco2e_per_mwh", "comparison_accelerator"), how="cross")
        .join(overrides.rename({"peak_tflops": "peak_override", "mfu": "mfu_override"}),
              on=["scenario", "accelerator_id"], how="left")
        .with_columns(
            peak_flops_per_s=pl.coalesce(pl.col("peak_override"), pl.col("peak_bf16_dense_tflops")) * 1e12,
            mfu=mfu,
            mfu_low=pl.min_horizontal(pl.col("mfu_low"), mfu),
            mfu_high=pl.max_horizontal(pl.col("mfu_high"), mfu),
            peak_kind=pl.when(pl.col("peak_override").is_not_null()).then(pl.lit("scenario")).otherwise(pl.lit("datasheet")),
        )
        .drop("peak_override", "mfu_override")
        .sort("scenario", "accelerator_id")
    )


def price_hardware(flops_frame: pl.DataFrame, hardware: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Cross every (scenario, job) with that scenario's accelerators and add hours, energy and emissions."""
    hours = gpu_hours(pl.col("training_flops"), pl.col("peak_flops_per_s"), pl.col("mfu"))
    return (
        flops_frame.join(hardware.select("scenario", "accelerator_id", "peak_flops_per_s", "mfu", "mfu_low",
                                         "mfu_high", "tdp_w", "pue", "grid_tco2e_per_mwh"), on="scenario")
        .with_columns(
            gpu_hours_computed=hours,
            gpu_hours_low=gpu_hours(pl.col("training_flops"), pl.col("peak_flops_per_s"), pl.col("mfu_high")),
            gpu_hours_high=gpu_hours(pl.col("training_flops"), pl.col("peak_flops_per_s"), pl.col("mfu_low")),
        )
        .sort(*keys, "accelerator_id")
    )


def model_costs(models: pl.DataFrame, facts: pl.DataFrame, scenarios: pl.DataFrame,
                hardware: pl.DataFrame) -> pl.DataFrame:
    """Training cost of every model on every accelerator under every scenario.

    A developer's reported GPU-hours replace the computed ones on the accelerator they were reported
    for, and reported emissions replace computed ones on that same row; both computed values stay in
    `*_computed` columns so that neither hides the other.
    """
    inputs = training_flops(model_inputs(models, resolve_facts(facts, scenarios), scenarios))
    priced = price_hardware(inputs, hardware, ["scenario", "model_id"])
    training_accelerator = pl.coalesce(pl.col("reported_gpu_hours_accelerator"), pl.col("comparison_accelerator"))
    on_reported = (pl.col("accelerator_id") == pl.col("reported_gpu_hours_accelerator")) & pl.col("reported_gpu_hours_value").is_not_null()
    on_training = pl.col("accelerator_id") == training_accelerator
    has_tco2e = on_training & pl.col("reported_tco2e_value").is_not_null()
    priced = priced.with_columns(
        gpu_hours=pl.when(on_reported).then(pl.col("reported_gpu_hours_value")).otherwise(pl.col("gpu_hours_computed")),
        gpu_hours_kind=pl.when(on_reported).then(pl.col("reported_gpu_hours_kind")).otherwise(pl.lit("computed")),
        gpu_hours_source=pl.when(on_reported).then(pl.col("reported_gpu_hours_source"))
        .otherwise(pl.lit("Distill Ledger: FLOPs / (peak FLOP/s x MFU x 3600)")),
    )
    priced = priced.with_columns(
        energy_mwh=energy_mwh(pl.col("gpu_hours"), pl.col("tdp_w"), pl.col("pue")),
        energy_mwh_low=energy_mwh(pl.col("gpu_hours_low"), pl.col("tdp_w"), pl.col("pue")),
        energy_mwh_high=energy_mwh(pl.col("gpu_hours_high"), pl.col("tdp_w"), pl.col("pue")),
    )
    return priced.with_columns(
        tco2e_computed=emissions_tco2e(pl.col("energy_mwh"), pl.col("grid_tco2e_per_mwh")),
        tco2e_low=emissions_tco2e(pl.col("energy_mwh_low"), pl.col("grid_tco2e_per_mwh")),
        tco2e_high=emissions_tco2e(pl.col("energy_mwh_high"), pl.col("grid_tco2e_per_mwh")),
    ).with_columns(
        tco2e=pl.when(has_tco2e).then(pl.col("reported_tco2e_value")).otherwise(pl.col("tco2e_computed")),
        tco2e_kind=pl.when(has_tco2e).then(pl.col("reported_tco2e_kind")).otherwise(pl.lit("computed")),
        tco2e_source=pl.when(has_tco2e).then(pl.col("reported_tco2e_source"))
        .otherwise(pl.lit("Distill Ledger: energy MWh x grid tCO2e/MWh")),
    ).select(MODEL_COST_COLUMNS)


MODEL_COST_COLUMNS = [
    "scenario", "model_id", "accelerator_id", "method", "params_total", "params_active", "params_used",
    "teacher", "teacher_params_used", "training_tokens", "distillation_samples", "tokens_per_sample",
    "distillation_tokens", "epochs", "teacher_flops", "student_flops", "training_flops", "training_flops_method",
    "training_flops_kind", "training_flops_source", "peak_flops_per_s", "mfu", "mfu_low", "mfu_high", "tdp_w",
    "pue", "grid_tco2e_per_mwh", "gpu_hours_computed", "gpu_hours", "gpu_hours_low", "gpu_hours_high",
    "gpu_hours_kind", "gpu_hours_source", "energy_mwh", "energy_mwh_low", "energy_mwh_high", "tco2e_computed",
    "tco2e", "tco2e_low", "tco2e_high", "tco2e_kind", "tco2e_source",
]


def workload_costs(workloads: pl.DataFrame, scenarios: pl.DataFrame, hardware: pl.DataFrame) -> pl.DataFrame:
    """The paper's §4 workloads (Table 2 and the case studies) on every accelerator under every scenario."""
    tokens = pl.coalesce(pl.col("samples") * pl.col("tokens_per_sample"), pl.col("tokens"))
    epochs = pl.col("epochs").fill_null(1.0)
    method = pl.col("method")
    flops = (
        pl.when(method == "pretraining").then(pretraining_flops(pl.col("params"), tokens))
        .when(method == "distillation").then(distillation_flops(pl.col("teacher_params"), pl.col("params"), tokens))
        .when(method == "fine_tuning").then(fine_tuning_flops(pl.col("params"), tokens, epochs))
        .otherwise(pl.col("training_flops"))
    )
    jobs = workloads.with_columns(training_tokens=tokens, training_flops=flops).join(scenarios.select("scenario"), how="cross")
    priced = price_hardware(jobs, hardware, ["scenario", "workload_id"])
    return priced.with_columns(
        energy_mwh=energy_mwh(pl.col("gpu_hours_computed"), pl.col("tdp_w"), pl.col("pue")),
    ).with_columns(
        tco2e=emissions_tco2e(pl.col("energy_mwh"), pl.col("grid_tco2e_per_mwh")),
        tco2e_low=emissions_tco2e(energy_mwh(pl.col("gpu_hours_low"), pl.col("tdp_w"), pl.col("pue")), pl.col("grid_tco2e_per_mwh")),
        tco2e_high=emissions_tco2e(energy_mwh(pl.col("gpu_hours_high"), pl.col("tdp_w"), pl.col("pue")), pl.col("grid_tco2e_per_mwh")),
    ).select(
        "scenario", "workload_id", pl.col("name").alias("workload"), "section", "method", "in_table2",
        "training_tokens", "training_flops", "accelerator_id", "peak_flops_per_s", "mfu", "mfu_low", "mfu_high",
        "tdp_w", "pue", "grid_tco2e_per_mwh", pl.col("gpu_hours_computed").alias("gpu_hours"), "gpu_hours_low",
        "gpu_hours_high", "energy_mwh", "tco2e", "tco2e_low", "tco2e_high",
    )
