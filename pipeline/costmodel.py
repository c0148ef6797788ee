"""Choosing each model's inputs, pricing them with `pipeline.formulas`, and keeping the provenance of every figure.

Which fact a scenario uses (`resolve_facts`), which training-FLOPs estimate it prefers (`choose_flops`), how a
fine-tune's compute adds to its base's (`lineage`), the cost of every model on every accelerator
(`model_costs`) and of the paper's workloads (`workload_costs`), and where two figures of one quantity
disagree (`reconcile`). The arithmetic itself is in `pipeline.formulas`, one definition per formula.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from pipeline import formulas, schemas
from pipeline.schemas import polars_columns

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)  # the frame helpers below build eager or lazy plans alike
# The columns of the tables built here are declared, with their checks, in pipeline/schemas.py.
CANDIDATES = polars_columns(schemas.FLOPS_CANDIDATES)
RECONCILED = polars_columns(schemas.RECONCILIATION)


def model_inference_flops_per_token() -> pl.Expr:
    """Per model: active parameters when the card gives them (MoE), else the total."""
    return formulas.inference_flops_per_token(pl.coalesce(pl.col("params_active"), pl.col("params_total")))


# --- choosing inputs --------------------------------------------------------------------------

RECONCILIATION_THRESHOLD = 1.5  # flag two values of one quantity that differ by more than 1.5x


def _precedence(scenarios: pl.DataFrame, column: str, key: str) -> pl.DataFrame:
    """Explode a scenario's `|`-separated preference list into (scenario, key, rank)."""
    return pl.DataFrame(
        [
            {"scenario": s, key: item, f"{key}_rank": rank}
            for s, order in scenarios.select("scenario", column).iter_rows()
            for rank, item in enumerate(order.split("|") if order else [])
        ],
        schema={"scenario": pl.Utf8, key: pl.Utf8, f"{key}_rank": pl.Int64},
    )


def _scenario_reads(facts: pl.LazyFrame, scenarios: pl.DataFrame) -> pl.LazyFrame:
    """Every fact under every scenario that reads its source (`fact_sources`; null: every source)."""
    crossed = facts.join(scenarios.lazy().select("scenario", "fact_sources"), how="cross")
    return crossed.filter(
        pl.col("fact_sources").is_null() | pl.col("fact_sources").str.split("|").list.contains(pl.col("source_name"))
    ).drop("fact_sources")


def resolve_facts(facts: pl.DataFrame, scenarios: pl.DataFrame) -> pl.DataFrame:
    """Per (scenario, model, quantity, accelerator): every fact, ranked, with `chosen` on the winner.

    The first kind in the scenario's `fact_precedence` wins; kinds not in the list rank last rather than
    being dropped. Ties go to `tie_order` (core.facts: the newest snapshot, then catalogue order, then the
    source's row order). A scenario with `fact_sources` reads only those sources' facts.
    """
    # One integer per fact orders it within its group: the kind's rank in the high bits, the tie order in the low
    # 40 (room for 1e12 facts), so the winner is a windowed minimum instead of a sort on the string keys, whose
    # cost grows with the keys' length as well as the rows'.
    tie_order_bits = 40
    return (
        _scenario_reads(facts.lazy(), scenarios)
        .join(_precedence(scenarios, "fact_precedence", "kind").lazy(), on=["scenario", "kind"], how="left")
        .with_columns(_order=pl.col("kind_rank").fill_null(99).cast(pl.Int64) * (1 << tie_order_bits) + pl.col("tie_order").cast(pl.Int64))
        .with_columns(chosen=pl.col("_order") == pl.col("_order").min().over("scenario", "model_id", "quantity", "accelerator_id"))
        .drop("kind_rank", "_order")
        .collect()
    )


_INPUT_QUANTITIES = [
    "params_total",
    "params_active",
    "training_tokens",
    "distillation_samples",
    "tokens_per_sample",
    "epochs",
    "gpu_count",
    "training_days",
    "finetune_flops",
]


def _params_for(total: pl.Expr, active: pl.Expr, convention: pl.Expr) -> pl.Expr:
    return pl.when(convention == "active").then(pl.coalesce(active, total)).otherwise(pl.coalesce(total, active))


def _chosen(resolved: pl.DataFrame, quantity: str, prefix: str) -> pl.DataFrame:
    return (
        resolved.filter(pl.col("chosen") & (pl.col("quantity") == quantity))
        .select(
            "scenario",
            "model_id",
            pl.col("value").alias(f"{prefix}_value"),
            pl.col("kind").alias(f"{prefix}_kind"),
            pl.col("source").alias(f"{prefix}_source"),
            pl.col("scope").alias(f"{prefix}_scope"),
            pl.col("accelerator_id").alias(f"{prefix}_accelerator"),
        )
        .unique(["scenario", "model_id"], keep="first", maintain_order=True)
    )


def model_inputs(models: pl.DataFrame, resolved: pl.DataFrame, scenarios: pl.DataFrame, hardware: pl.DataFrame) -> pl.DataFrame:
    """One row per (scenario, model): chosen inputs, N by the scenario's MoE convention, teacher N."""
    chosen = resolved.filter(pl.col("chosen"))
    wide = chosen.filter(pl.col("quantity").is_in(_INPUT_QUANTITIES)).pivot(
        on="quantity", index=["scenario", "model_id"], values="value", aggregate_function="first"
    )
    # the pivot's columns come in the order the facts arrive: fix it, so the table's shape is the same every run
    wide = wide.select(
        "scenario", "model_id", *(pl.col(q) if q in wide.columns else pl.lit(None, dtype=pl.Float64).alias(q) for q in _INPUT_QUANTITIES)
    )
    gpu_accelerator = (
        chosen.filter(pl.col("quantity") == "gpu_count")
        .select("scenario", "model_id", pl.col("accelerator_id").alias("hardware_accelerator"))
        .unique(["scenario", "model_id"], keep="first", maintain_order=True)
    )
    hardware_profile = hardware.select(
        "scenario",
        pl.col("accelerator_id").alias("hardware_accelerator"),
        pl.col("peak_flops_per_s").alias("hardware_peak"),
        pl.col("mfu").alias("hardware_mfu"),
    )
    frame = (
        models.select("model_id", "model_type", "method", "teacher", "base_model")
        .join(scenarios.select("scenario", "moe_params", "comparison_accelerator"), how="cross")
        .join(wide, on=["scenario", "model_id"], how="left")
        .join(_chosen(chosen, "training_flops", "declared_flops"), on=["scenario", "model_id"], how="left")
        .join(_chosen(chosen, "gpu_hours", "reported_gpu_hours"), on=["scenario", "model_id"], how="left")
        .join(_chosen(chosen, "tco2e", "reported_tco2e"), on=["scenario", "model_id"], how="left")
        .join(gpu_accelerator, on=["scenario", "model_id"], how="left")
        .join(hardware_profile, on=["scenario", "hardware_accelerator"], how="left")
        .with_columns(params_used=_params_for(pl.col("params_total"), pl.col("params_active"), pl.col("moe_params")))
    )
    # a scenario that reads only some sources (`fact_sources`) has only the models they give facts for
    restricted = scenarios.filter(pl.col("fact_sources").is_not_null()).select("scenario")
    present = chosen.select("scenario", "model_id").unique()
    frame = pl.concat(
        [
            frame.join(restricted, on="scenario", how="anti"),
            frame.join(restricted, on="scenario").join(present, on=["scenario", "model_id"], how="semi"),
        ]
    ).sort("scenario", maintain_order=True)
    teachers = frame.select("scenario", pl.col("model_id").alias("teacher"), pl.col("params_used").alias("teacher_params_used"))
    return frame.join(teachers, on=["scenario", "teacher"], how="left")


# --- training FLOPs: every method, then the scenario's choice ------------------------------------


def _card_tokens() -> pl.Expr:
    """D from a card's chosen inputs."""
    return formulas.training_tokens(pl.col("distillation_samples"), pl.col("tokens_per_sample"), pl.col("training_tokens"))


def _computed_candidate(base: pl.DataFrame, method: str, column: str, formula: pl.Expr, basis: str) -> pl.DataFrame:
    """One estimate the ledger computes, as a candidate row: marginal, with no confidence label of its own."""
    return base.select(
        "scenario",
        "model_id",
        pl.lit(method).alias("flops_method"),
        pl.col(column).alias("training_flops"),
        formula.alias("formula"),
        pl.lit("computed").alias("kind"),
        pl.lit(f"Distill Ledger, {basis}").alias("source"),
        pl.lit("marginal").alias("scope"),
        pl.lit(None, dtype=pl.Utf8).alias("confidence"),
    )


def flops_candidates(inputs: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Every available estimate of each model's training FLOPs, one row per (scenario, model, method)."""
    method = pl.col("method")
    formula_value = formulas.method_flops(method, pl.col("params_used"), pl.col("teacher_params_used"), _card_tokens(), pl.col("epochs"))
    base = inputs.select(
        "scenario",
        "model_id",
        "method",
        formula_value.alias("formula_flops"),
        formulas.method_formula(method).alias("formula_text"),
        formulas.hardware_flops(pl.col("gpu_count"), pl.col("training_days"), pl.col("hardware_peak"), pl.col("hardware_mfu")).alias(
            "hardware_flops"
        ),
    )
    computed = [
        _computed_candidate(base, "formula", "formula_flops", pl.col("formula_text"), "from the card's inputs"),
        _computed_candidate(
            base, "hardware", "hardware_flops", pl.lit(formulas.HARDWARE_FORMULA), "from the card's GPU count and training days"
        ),
    ]
    # one given figure per kind: the first in tie order
    given = (
        facts.filter(pl.col("quantity") == "training_flops")
        .sort("tie_order")
        .unique(["model_id", "kind"], keep="first", maintain_order=True)
        .join(inputs.select("scenario", "model_id"), on="model_id")
        .select(
            "scenario",
            "model_id",
            pl.col("kind").alias("flops_method"),
            pl.col("value").alias("training_flops"),
            pl.lit("as given").alias("formula"),
            "kind",
            "source",
            pl.col("scope").fill_null("marginal"),
            "confidence",
        )
    )
    return (
        pl.concat([*computed, given.select(list(CANDIDATES))], how="vertical_relaxed")
        .filter(pl.col("training_flops").is_not_null())
        .cast(CANDIDATES)
        .sort("scenario", "model_id", "flops_method")
    )


def confidence_factors(path) -> dict[str, float]:
    """data/reference/estimate_confidence.csv: how far each confidence label widens a figure's range (x/÷ factor)."""
    return dict(pl.read_csv(path).select("confidence", "factor").iter_rows())


def choose_flops(inputs: pl.DataFrame, candidates: pl.DataFrame, scenarios: pl.DataFrame, factors: dict[str, float]) -> pl.DataFrame:
    """Add the training FLOPs each scenario uses: the first available method in `flops_method_precedence`.

    `declared` means the method the card declares: its formula for pretraining, distillation and
    fine-tuning, or the given figure that the scenario's fact precedence picks for `external`. A figure its
    source gives a confidence for (Epoch AI's Confident / Likely / Speculative) gets a range, the figure divided
    and multiplied by that label's factor (`factors`); any other figure's range is the figure itself.
    """
    declared = (
        inputs.select("scenario", "model_id", "method", "declared_flops_kind")
        .with_columns(flops_method=pl.when(pl.col("method") == "external").then(pl.col("declared_flops_kind")).otherwise(pl.lit("formula")))
        .join(candidates, on=["scenario", "model_id", "flops_method"])
        .with_columns(flops_method=pl.lit("declared"), declared_as=pl.col("flops_method"))
    )
    pool = pl.concat(
        [candidates.with_columns(declared_as=pl.col("flops_method")), declared.select(*CANDIDATES, "declared_as")], how="vertical_relaxed"
    )
    # The first method in the scenario's list wins: a windowed minimum, not a sort on the string keys.
    picked = (
        pool.join(_precedence(scenarios, "flops_method_precedence", "flops_method"), on=["scenario", "flops_method"])
        .filter(pl.col("flops_method_rank") == pl.col("flops_method_rank").min().over("scenario", "model_id"))
        .unique(["scenario", "model_id"], keep="first", maintain_order=True)
        .select(
            "scenario",
            "model_id",
            "training_flops",
            pl.col("formula").alias("training_flops_formula"),
            pl.col("kind").alias("training_flops_kind"),
            pl.col("source").alias("training_flops_source"),
            pl.col("scope").alias("training_flops_scope"),
            pl.col("declared_as").alias("training_flops_method"),
            pl.col("confidence").alias("training_flops_confidence"),
        )
        .with_columns(_factor=pl.col("training_flops_confidence").replace_strict(factors, default=1.0, return_dtype=pl.Float64))
        .with_columns(
            training_flops_low=pl.col("training_flops") / pl.col("_factor"),
            training_flops_high=pl.col("training_flops") * pl.col("_factor"),
        )
        .drop("_factor")
    )
    distill = inputs.with_columns(distillation_tokens=pl.when(pl.col("method") == "distillation").then(_card_tokens()))
    return distill.with_columns(
        inference_flops_per_token=model_inference_flops_per_token(),
        teacher_flops=formulas.teacher_inference_flops(pl.col("teacher_params_used"), pl.col("distillation_tokens")),
        student_flops=formulas.student_flops(pl.col("params_used"), pl.col("distillation_tokens"), pl.col("epochs")),
    ).join(picked, on=["scenario", "model_id"], how="left")


# --- lineage --------------------------------------------------------------------------------------

LINEAGE_INPUTS = {  # what `lineage` reads of model_flops
    "scenario": pl.Utf8,
    "model_id": pl.Utf8,
    "teacher": pl.Utf8,
    "training_flops": pl.Float64,
    "training_flops_scope": pl.Utf8,
    "finetune_flops": pl.Float64,
}
# Post-training adds a small part of pretraining's compute. A cumulative figure above this multiple of its base's
# lineage says the two figures estimate the base differently (Epoch's hardware-time estimate for an Instruct
# version against a card's 6*N*D for the base), not that the fine-tune cost the difference.
CUMULATIVE_JUMP_LIMIT = 1.5


def lineage(flops: pl.DataFrame, parents: pl.DataFrame) -> pl.DataFrame:
    """Marginal and lineage compute per (scenario, model).

    `parents` maps model_id -> parent_id (the resolved `base_model`), and may say `base_unresolved` for a model
    whose base model is named but matches no model. A model's lineage compute is its marginal compute plus its
    parent's lineage compute. A figure whose scope is `cumulative` already contains the parent's compute, so its
    marginal part is the source's own fine-tune compute (`finetune_flops`, Epoch's "Finetune compute") when it
    gives one, else the figure minus the parent's lineage when that is positive (unknown otherwise); when the base
    model cannot be resolved, the marginal
    part is that fine-tune compute or unknown, never the cumulative figure, and the note says so.
    `teacher_share_flops` spreads a teacher's lineage compute over the students distilled from it.
    """
    frame = (
        flops.select(list(LINEAGE_INPUTS)).join(parents, on="model_id", how="left").with_columns(pl.col("base_unresolved").fill_null(False))
    )
    # A model without a base model is its own lineage, so only models with one are walked: most have none, and
    # each step is a join, so walking only them keeps a step's cost to the fine-tunes rather than every model.
    roots = frame.filter(pl.col("parent_id").is_null()).select(
        "scenario",
        "model_id",
        pl.col("training_flops").alias("lineage_flops"),
        pl.lit(0, dtype=pl.Int64).alias("lineage_depth"),
        pl.col("model_id").alias("lineage_path"),
    )
    children = frame.filter(pl.col("parent_id").is_not_null())
    walked = children.select(
        "scenario",
        "model_id",
        pl.lit(None, dtype=pl.Float64).alias("lineage_flops"),
        pl.lit(0, dtype=pl.Int64).alias("lineage_depth"),
        pl.col("model_id").alias("lineage_path"),
    )
    lineage_of = pl.concat([roots, walked])
    # One step per generation: no chain is longer than the number of models with a base, so that many steps
    # reach the end of any real lineage; a cycle never resolves and is left with nulls.
    for _ in range(children.height + 1):
        step = children.join(
            lineage_of.select(
                "scenario",
                pl.col("model_id").alias("parent_id"),
                pl.col("lineage_flops").alias("parent_lineage"),
                pl.col("lineage_depth").alias("parent_depth"),
                pl.col("lineage_path").alias("parent_path"),
            ),
            on=["scenario", "parent_id"],
            how="left",
        )
        cumulative = pl.col("training_flops_scope") == "cumulative"
        updated = step.select(
            "scenario",
            "model_id",
            pl.when(cumulative)
            .then(pl.max_horizontal(pl.col("training_flops"), pl.col("parent_lineage")))
            .otherwise(pl.col("training_flops") + pl.col("parent_lineage"))
            .alias("lineage_flops"),
            (pl.col("parent_depth") + 1).alias("lineage_depth"),
            (pl.col("parent_path") + " > " + pl.col("model_id")).alias("lineage_path"),
        )
        if updated.equals(walked):
            break
        walked = updated
        lineage_of = pl.concat([roots, walked])
    frame = frame.join(lineage_of, on=["scenario", "model_id"]).join(
        lineage_of.select("scenario", pl.col("model_id").alias("parent_id"), pl.col("lineage_flops").alias("parent_lineage")),
        on=["scenario", "parent_id"],
        how="left",
    )
    cumulative = pl.col("training_flops_scope") == "cumulative"
    has_parent, finetune = pl.col("parent_id").is_not_null(), pl.col("finetune_flops")
    unresolved = pl.col("parent_id").is_null() & pl.col("base_unresolved") & cumulative
    # a cumulative figure not above its base's says nothing about the fine-tune (Epoch gives an Instruct version its
    # base model's figure): its marginal part is unknown, never zero or negative
    not_above = has_parent & cumulative & (pl.col("training_flops") <= pl.col("parent_lineage"))
    jump = pl.col("training_flops") / pl.col("parent_lineage")
    far_above = has_parent & cumulative & (jump > CUMULATIVE_JUMP_LIMIT)
    frame = frame.with_columns(
        marginal_flops=pl.when(has_parent & cumulative & finetune.is_not_null())
        .then(finetune)
        .when(not_above | far_above)
        .then(None)
        .when(has_parent & cumulative)
        .then(pl.col("training_flops") - pl.col("parent_lineage"))
        .when(unresolved)
        .then(finetune)
        .otherwise(pl.col("training_flops")),
        lineage_note=pl.when(unresolved & finetune.is_not_null())
        .then(pl.lit("cumulative figure and its base model is not resolved: marginal compute is the source's fine-tune compute"))
        .when(unresolved)
        .then(pl.lit("cumulative figure and its base model is not resolved: marginal compute unknown"))
        .when(has_parent & cumulative & finetune.is_not_null())
        .then(pl.lit("figure includes the base model's compute; marginal compute is the source's fine-tune compute"))
        .when(not_above)
        .then(pl.lit("cumulative figure is not above its base model's lineage compute: marginal compute unknown"))
        .when(far_above)
        .then(
            pl.format(
                "cumulative figure is {}x its base model's lineage compute, more than post-training adds: "
                "the two disagree about the base model; marginal compute unknown",
                jump.round(2),
            )
        )
        .when(has_parent & cumulative)
        .then(pl.lit("figure includes the base model's compute"))
        .when(pl.col("parent_id").is_not_null() & pl.col("parent_lineage").is_null())
        .then(pl.lit("base model's compute unknown"))
        .otherwise(pl.lit("")),
    )
    students = frame.filter(pl.col("teacher").is_not_null()).group_by("scenario", "teacher").agg(pl.len().alias("students"))
    teacher_lineage = lineage_of.select("scenario", pl.col("model_id").alias("teacher"), pl.col("lineage_flops").alias("teacher_lineage"))
    frame = frame.join(students, on=["scenario", "teacher"], how="left").join(teacher_lineage, on=["scenario", "teacher"], how="left")
    return (
        frame.with_columns(teacher_share_flops=pl.col("teacher_lineage") / pl.col("students"))
        .with_columns(lineage_flops_with_teacher_share=pl.col("lineage_flops") + pl.col("teacher_share_flops").fill_null(0.0))
        .select(list(polars_columns(schemas.LINEAGE)))
        .sort("scenario", "model_id")
    )


# --- hardware, energy, emissions, money -----------------------------------------------------------


def scenario_accelerators(
    accelerators: pl.DataFrame, scenarios: pl.DataFrame, overrides: pl.DataFrame, prices: pl.DataFrame
) -> pl.DataFrame:
    """Per (scenario, accelerator): peak FLOP/s and MFU (with range) after overrides, TDP, PUE, grid, price."""
    mfu = pl.coalesce(pl.col("mfu_override"), pl.col("mfu_default"))
    price_low = pl.coalesce(pl.col("price_override"), pl.col("usd_per_gpu_hour_low"))
    price_high = pl.coalesce(pl.col("price_override"), pl.col("usd_per_gpu_hour_high"))
    return (
        accelerators.select(
            "accelerator_id", "name", "peak_bf16_dense_tflops", "tdp_w", "mfu_low", "mfu_high", "mfu_default", "datasheet_url"
        )
        .join(scenarios.select("scenario", "pue", "grid_tco2e_per_mwh", "comparison_accelerator", "inference_mfu"), how="cross")
        .join(
            overrides.select(
                "scenario",
                "accelerator_id",
                pl.col("peak_tflops").alias("peak_override"),
                pl.col("mfu").alias("mfu_override"),
                pl.col("price_usd_per_gpu_hour").alias("price_override"),
            ),
            on=["scenario", "accelerator_id"],
            how="left",
        )
        .join(
            prices.select(
                "accelerator_id",
                "usd_per_gpu_hour_low",
                "usd_per_gpu_hour_high",
                pl.col("as_of").alias("price_as_of"),
                pl.col("source").alias("price_source"),
            ),
            on="accelerator_id",
            how="left",
        )
        .with_columns(
            peak_flops_per_s=pl.coalesce(pl.col("peak_override"), pl.col("peak_bf16_dense_tflops")) * 1e12,
            mfu=mfu,
            mfu_low=pl.min_horizontal(pl.col("mfu_low"), mfu),
            mfu_high=pl.max_horizontal(pl.col("mfu_high"), mfu),
            peak_kind=pl.when(pl.col("peak_override").is_not_null()).then(pl.lit("scenario")).otherwise(pl.lit("datasheet")),
            usd_per_gpu_hour_low=price_low,
            usd_per_gpu_hour_high=price_high,
            usd_per_gpu_hour=(price_low + price_high) / 2,
            price_source=pl.when(pl.col("price_override").is_not_null())
            .then(pl.lit("scenario override"))
            .otherwise(pl.col("price_source")),
        )
        .drop("peak_override", "mfu_override", "price_override")
        .sort("scenario", "accelerator_id")
    )


def price_hardware(jobs: FrameT, hardware: FrameT) -> FrameT:
    """Cross every (scenario, job) with that scenario's accelerators; add GPU-hours with the MFU range.

    No sort here: the crossed rows are the largest frame of the run and sorting them by their string keys costs
    more than the arithmetic, while every table built from them orders itself."""
    # A figure with a range of its own (an estimate's confidence) widens the hours' range beyond the MFU range.
    low, high = pl.col("training_flops_low"), pl.col("training_flops_high")
    return jobs.join(
        hardware.select(
            "scenario",
            "accelerator_id",
            *schemas.HARDWARE_PROFILE,
            "usd_per_gpu_hour",
            "usd_per_gpu_hour_low",
            "usd_per_gpu_hour_high",
            "inference_mfu",
        ),
        on="scenario",
    ).with_columns(
        gpu_hours_computed=formulas.gpu_hours(pl.col("training_flops"), pl.col("peak_flops_per_s"), pl.col("mfu")),
        gpu_hours_computed_low=formulas.gpu_hours(low, pl.col("peak_flops_per_s"), pl.col("mfu_high")),
        gpu_hours_computed_high=formulas.gpu_hours(high, pl.col("peak_flops_per_s"), pl.col("mfu_low")),
    )


def _energy_emissions_money(frame: FrameT) -> FrameT:
    """From gpu_hours (and _low/_high): energy, computed emissions and cost, each as value, low and high."""
    grid = pl.col("grid_tco2e_per_mwh")
    return frame.with_columns(
        energy_mwh=formulas.energy_mwh(pl.col("gpu_hours"), pl.col("tdp_w"), pl.col("pue")),
        energy_mwh_low=formulas.energy_mwh(pl.col("gpu_hours_low"), pl.col("tdp_w"), pl.col("pue")),
        energy_mwh_high=formulas.energy_mwh(pl.col("gpu_hours_high"), pl.col("tdp_w"), pl.col("pue")),
        cost_usd=formulas.cost_usd(pl.col("gpu_hours"), pl.col("usd_per_gpu_hour")),
        cost_usd_low=formulas.cost_usd(pl.col("gpu_hours_low"), pl.col("usd_per_gpu_hour_low")),
        cost_usd_high=formulas.cost_usd(pl.col("gpu_hours_high"), pl.col("usd_per_gpu_hour_high")),
    ).with_columns(
        tco2e_computed=formulas.emissions_tco2e(pl.col("energy_mwh"), grid),
        tco2e_computed_low=formulas.emissions_tco2e(pl.col("energy_mwh_low"), grid),
        tco2e_computed_high=formulas.emissions_tco2e(pl.col("energy_mwh_high"), grid),
    )


def inference_costs(frame: FrameT) -> FrameT:
    """Serving cost per million tokens at the scenario's inference MFU, from `inference_flops_per_token`."""
    return frame.with_columns(
        **formulas.serving_per_million_tokens(
            pl.col("inference_flops_per_token"),
            pl.col("peak_flops_per_s"),
            pl.col("inference_mfu"),
            pl.col("tdp_w"),
            pl.col("pue"),
            pl.col("grid_tco2e_per_mwh"),
            pl.col("usd_per_gpu_hour"),
        )
    )


MODEL_COSTS_INPUTS = [
    "scenario",
    "model_id",
    "training_flops",
    "training_flops_low",
    "training_flops_high",
    "comparison_accelerator",
    "inference_flops_per_token",
    *(f"reported_{q}_{part}" for q in ("gpu_hours", "tco2e") for part in ("value", "kind", "source")),
    "reported_gpu_hours_accelerator",
]


def model_costs(flops: pl.DataFrame, hardware: pl.DataFrame) -> pl.DataFrame:
    """Training cost of every model on every accelerator under every scenario.

    A developer's reported GPU-hours replace the computed ones on the accelerator they were reported
    for (their range collapses to the reported value), and reported emissions replace computed ones
    on that same row; the computed values stay in `*_computed` columns so neither hides the other.
    """
    # One lazy plan: the crossed rows (models x accelerators) are built once with only the columns the expressions
    # below read, and repeated sub-expressions are computed once, where an eager chain would copy them per step.
    jobs = flops.lazy().select(MODEL_COSTS_INPUTS)
    priced = price_hardware(jobs, hardware.lazy())
    on_reported = (pl.col("accelerator_id") == pl.col("reported_gpu_hours_accelerator")) & pl.col("reported_gpu_hours_value").is_not_null()
    training_accelerator = pl.coalesce(pl.col("reported_gpu_hours_accelerator"), pl.col("comparison_accelerator"))
    has_tco2e = (pl.col("accelerator_id") == training_accelerator) & pl.col("reported_tco2e_value").is_not_null()
    reported_hours = pl.col("reported_gpu_hours_value")
    priced = priced.with_columns(
        gpu_hours=pl.when(on_reported).then(reported_hours).otherwise(pl.col("gpu_hours_computed")),
        gpu_hours_low=pl.when(on_reported).then(reported_hours).otherwise(pl.col("gpu_hours_computed_low")),
        gpu_hours_high=pl.when(on_reported).then(reported_hours).otherwise(pl.col("gpu_hours_computed_high")),
        gpu_hours_kind=pl.when(on_reported).then(pl.col("reported_gpu_hours_kind")).otherwise(pl.lit("computed")),
        gpu_hours_source=pl.when(on_reported)
        .then(pl.col("reported_gpu_hours_source"))
        .otherwise(pl.lit(f"Distill Ledger: {formulas.GPU_HOURS_FORMULA}")),
    )
    reported_tco2e = pl.col("reported_tco2e_value")
    return (
        inference_costs(_energy_emissions_money(priced))
        .with_columns(
            tco2e=pl.when(has_tco2e).then(reported_tco2e).otherwise(pl.col("tco2e_computed")),
            tco2e_low=pl.when(has_tco2e).then(reported_tco2e).otherwise(pl.col("tco2e_computed_low")),
            tco2e_high=pl.when(has_tco2e).then(reported_tco2e).otherwise(pl.col("tco2e_computed_high")),
            tco2e_kind=pl.when(has_tco2e).then(pl.col("reported_tco2e_kind")).otherwise(pl.lit("computed")),
            tco2e_source=pl.when(has_tco2e)
            .then(pl.col("reported_tco2e_source"))
            .otherwise(pl.lit(f"Distill Ledger: {formulas.EMISSIONS_FORMULA}")),
        )
        .select(list(polars_columns(schemas.MODEL_COSTS)))
        .collect()
    )


def workload_costs(workloads: pl.DataFrame, scenarios: pl.DataFrame, hardware: pl.DataFrame) -> pl.DataFrame:
    """The paper's §4 workloads (Table 2 and the case studies) on every accelerator under every scenario."""
    tokens = formulas.training_tokens(pl.col("samples"), pl.col("tokens_per_sample"), pl.col("tokens"))
    method = pl.col("method")
    flops = (
        pl.when(method == "external")
        .then(pl.col("training_flops"))
        .otherwise(formulas.method_flops(method, pl.col("params"), pl.col("teacher_params"), tokens, pl.col("epochs")))
    )
    jobs = (
        workloads.with_columns(training_tokens=tokens, training_flops=flops)
        .with_columns(training_flops_low=pl.col("training_flops"), training_flops_high=pl.col("training_flops"))
        .join(scenarios.select("scenario"), how="cross")
    )  # a workload's FLOPs are the paper's inputs: no range of their own
    priced = price_hardware(jobs, hardware).with_columns(
        gpu_hours=pl.col("gpu_hours_computed"),
        gpu_hours_low=pl.col("gpu_hours_computed_low"),
        gpu_hours_high=pl.col("gpu_hours_computed_high"),
    )
    renamed = {"name": "workload", "tco2e_computed": "tco2e", "tco2e_computed_low": "tco2e_low", "tco2e_computed_high": "tco2e_high"}
    return _energy_emissions_money(priced).rename(renamed).select(list(polars_columns(schemas.WORKLOAD_COSTS)))


# --- reconciliation -------------------------------------------------------------------------------


def _ratio_rows(frame: pl.DataFrame, quantity: str, label: str) -> pl.DataFrame:
    ratio = pl.col("value_used") / pl.col("value_other")
    spread = pl.max_horizontal(ratio, 1 / ratio)
    return frame.with_columns(quantity=pl.lit(quantity), ratio=ratio, flagged=spread > RECONCILIATION_THRESHOLD).with_columns(
        description=pl.format(
            "{} {} ({}) vs {} ({}): {}x",
            pl.lit(label),
            pl.col("value_used").map_elements(lambda v: f"{v:.3g}", return_dtype=pl.Utf8),
            pl.col("used_kind"),
            pl.col("value_other").map_elements(lambda v: f"{v:.3g}", return_dtype=pl.Utf8),
            pl.col("other_kind"),
            pl.col("ratio").round(2),
        )
    )


RECONCILE_FLOPS_INPUTS = ["scenario", "model_id", "training_flops", "training_flops_kind", "training_flops_source", "training_flops_method"]


def _pairs(frame: pl.DataFrame, accelerator, used, used_kind, used_source, other, other_kind, other_source) -> pl.DataFrame:
    """`frame` as pairs of figures of one quantity, in reconcile's shape; each argument a column name or an expression."""
    named = {
        "accelerator_id": accelerator,
        "value_used": used,
        "used_kind": used_kind,
        "used_source": used_source,
        "value_other": other,
        "other_kind": other_kind,
        "other_source": other_source,
    }
    return frame.select("scenario", "model_id", *((pl.col(v) if isinstance(v, str) else v).alias(k) for k, v in named.items()))


def reconcile(flops: pl.DataFrame, costs: pl.DataFrame, candidates: pl.DataFrame, resolved: pl.DataFrame) -> pl.DataFrame:
    """Every pair of values for one quantity: the one used against each alternative, with the ratio.

    - training FLOPs: the chosen figure against every other method's estimate;
    - GPU-hours: a reported figure against hours computed from the chosen FLOPs on the same
      accelerator, and GPU count x days x 24 against the same;
    - tCO2e: a reported figure against one computed from the hours, and against other reported figures.
    A pair is flagged when the two differ by more than RECONCILIATION_THRESHOLD in either direction.
    """
    no_accelerator, ledger = pl.lit(None, dtype=pl.Utf8), pl.lit("Distill Ledger")
    flops_pairs = _pairs(
        flops.select(RECONCILE_FLOPS_INPUTS)
        .join(candidates, on=["scenario", "model_id"], suffix="_other")
        .filter(pl.col("flops_method") != pl.col("training_flops_method")),
        no_accelerator,
        "training_flops",
        "training_flops_kind",
        "training_flops_source",
        "training_flops_other",
        pl.format("{}: {}", pl.col("flops_method"), pl.col("formula")),
        "source",
    )
    # a reported figure against the one the formula gives on the same accelerator
    reported = {
        quantity: _pairs(
            costs.filter(pl.col(f"{quantity}_kind") != "computed"),
            "accelerator_id",
            quantity,
            f"{quantity}_kind",
            f"{quantity}_source",
            f"{quantity}_computed",
            pl.lit(other),
            ledger,
        )
        for quantity, other in (("gpu_hours", "computed from training FLOPs"), ("tco2e", "computed from GPU-hours"))
    }
    chosen = resolved.filter(pl.col("chosen"))
    count = chosen.filter(pl.col("quantity") == "gpu_count").select("scenario", "model_id", pl.col("value").alias("gpus"), "accelerator_id")
    days = chosen.filter(pl.col("quantity") == "training_days").select(
        "scenario", "model_id", pl.col("value").alias("days"), pl.col("source").alias("days_source")
    )
    hardware_hours = _pairs(
        count.join(days, on=["scenario", "model_id"]).join(
            costs.select("scenario", "model_id", "accelerator_id", "gpu_hours_computed"), on=["scenario", "model_id", "accelerator_id"]
        ),
        "accelerator_id",
        pl.col("gpus") * pl.col("days") * 24,
        pl.lit("reported GPU count x days"),
        "days_source",
        "gpu_hours_computed",
        pl.lit("computed from training FLOPs"),
        ledger,
    )
    # the chosen tCO2e figure against every other one given
    all_tco2e = resolved.filter(pl.col("quantity") == "tco2e")
    tco2e_conflicts = _pairs(
        all_tco2e.filter(pl.col("chosen")).join(all_tco2e.filter(~pl.col("chosen")), on=["scenario", "model_id"], suffix="_other"),
        no_accelerator,
        "value",
        "kind",
        "source",
        "value_other",
        "kind_other",
        "source_other",
    )
    parts = [
        _ratio_rows(flops_pairs, "training_flops", "training FLOPs"),
        _ratio_rows(reported["gpu_hours"], "gpu_hours", "GPU-hours"),
        _ratio_rows(hardware_hours, "gpu_hours", "GPU-hours"),
        _ratio_rows(reported["tco2e"], "tco2e", "tCO2e"),
        _ratio_rows(tco2e_conflicts, "tco2e", "tCO2e"),
    ]
    return (
        pl.concat([p.select(list(RECONCILED)) for p in parts], how="vertical_relaxed")
        .cast(RECONCILED)
        .sort("scenario", "model_id", "quantity", "value_other")
    )
