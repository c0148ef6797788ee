"""The cost model: the paper's §4 case studies, and properties that must hold for any input."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import costmodel as cm
from pipeline import formulas
from tests.conftest import examples

PAPER_H100 = {"peak_flops_per_s": 1000e12, "mfu": 0.38, "tdp_w": 700, "pue": 1.1, "grid": 0.429}


def value(expr: pl.Expr) -> float:
    return pl.select(expr).item()


def sig(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits - 1}e}")


def paper_costs(flops: float) -> tuple[float, float]:
    hours = value(formulas.gpu_hours(flops, PAPER_H100["peak_flops_per_s"], PAPER_H100["mfu"]))
    energy = value(formulas.energy_mwh(hours, PAPER_H100["tdp_w"], PAPER_H100["pue"]))
    return hours, value(formulas.emissions_tco2e(energy, PAPER_H100["grid"]))


# §4.2 prints its FLOPs as "≈ 8.5 × 10^20" (two figures; the sum is 8.508e20), so FLOPs are
# compared at the precision printed, capped at three figures.
@pytest.mark.parametrize(
    "flops_expr, flops, flops_digits, hours, tco2e",
    [
        (formulas.pretraining_flops(8e9, 36e12), 1.728e24, 3, 1_263_158, 417.25),  # §4.1
        (formulas.distillation_flops(685e9, 8e9, 800_000 * 750), 8.5e20, 2, 621.9, 0.205),  # §4.2
        (pl.lit(3.8e25), 3.8e25, 2, 27_777_778, 9175.83),  # §4.4
    ],
)
def test_case_studies_of_section_4(flops_expr, flops, flops_digits, hours, tco2e):
    computed_flops = value(flops_expr)
    computed_hours, computed_tco2e = paper_costs(computed_flops)
    assert sig(computed_flops, flops_digits) == sig(flops, flops_digits)
    assert sig(computed_hours) == sig(hours)
    assert sig(computed_tco2e) == sig(tco2e)


def test_fine_tuning_case_study_where_the_paper_rounds_energy_before_emissions():
    # §4.3 prints 0.81 MWh and then 0.81 x 0.429 = 0.347 t; unrounded energy (0.8105 MWh) gives 0.3477 t.
    flops = value(formulas.fine_tuning_flops(8e9, 10e9, 3))
    hours, tco2e = paper_costs(flops)
    assert sig(flops) == 1.44e21
    assert sig(hours, 5) == 1052.6
    assert sig(tco2e) == 0.348  # computed
    assert sig(0.81 * 0.429) == 0.347  # printed, from the rounded energy
    assert abs(tco2e / 0.347 - 1) < 0.0025


def test_distillation_is_teacher_inference_plus_student_training():
    assert value(formulas.teacher_inference_flops(685e9, 6e8)) == pytest.approx(8.22e20)
    assert value(formulas.pretraining_flops(8e9, 6e8)) == pytest.approx(2.88e19)
    assert value(formulas.distillation_flops(685e9, 8e9, 6e8)) == pytest.approx(8.22e20 + 2.88e19)


positive = st.floats(min_value=1e-3, max_value=1e15, allow_nan=False, allow_infinity=False)
fraction = st.floats(min_value=0.01, max_value=1.0)


@settings(max_examples=examples(300), deadline=None)
@given(n=positive, d=positive, k=st.floats(min_value=1.0, max_value=100.0))
def test_pretraining_scales_linearly_in_params_and_tokens(n, d, k):
    base = value(formulas.pretraining_flops(n, d))
    assert value(formulas.pretraining_flops(n * k, d)) == pytest.approx(base * k, rel=1e-12)
    assert value(formulas.pretraining_flops(n, d * k)) == pytest.approx(base * k, rel=1e-12)


@settings(max_examples=examples(300), deadline=None)
@given(teacher=positive, student=positive, tokens=positive)
def test_distillation_costs_more_than_training_the_student_alone(teacher, student, tokens):
    assert value(formulas.distillation_flops(teacher, student, tokens)) >= value(formulas.pretraining_flops(student, tokens))


@settings(max_examples=examples(300), deadline=None)
@given(flops=st.floats(min_value=1e15, max_value=1e28), peak=st.floats(min_value=1e12, max_value=1e16), low=fraction, high=fraction)
def test_higher_mfu_means_fewer_gpu_hours(flops, peak, low, high):
    low, high = sorted((low, high))
    assert value(formulas.gpu_hours(flops, peak, high)) <= value(formulas.gpu_hours(flops, peak, low))


@settings(max_examples=examples(300), deadline=None)
@given(
    hours=positive,
    tdp=st.floats(min_value=1, max_value=5000),
    pue=st.floats(min_value=1, max_value=3),
    grid=st.floats(min_value=0, max_value=2),
)
def test_units_energy_in_mwh_and_emissions_in_tonnes(hours, tdp, pue, grid):
    energy = value(formulas.energy_mwh(hours, tdp, pue))
    assert energy == pytest.approx(hours * tdp * pue / 1e6, rel=1e-12)  # W·h -> MWh
    assert value(formulas.emissions_tco2e(energy, grid)) == pytest.approx(energy * grid, rel=1e-12)


def test_resolve_facts_follows_each_scenarios_precedence():
    facts = pl.DataFrame(
        {
            "model_id": ["m", "m"],
            "quantity": ["params_total", "params_total"],
            "value": [8e9, 8.2e9],
            "kind": ["published", "reported"],
            "source": ["paper", "developer"],
            "url": ["https://a", "https://b"],
            "accelerator_id": [None, None],
            "source_name": ["cards", "cards"],
            "tie_order": [1, 2],
        },
        schema_overrides={"accelerator_id": pl.Utf8},
    )
    scenarios = pl.DataFrame(
        {
            "scenario": ["paper", "default"],
            "fact_precedence": ["published|reported|estimated", "reported|estimated|published"],
            "fact_sources": [None, None],
        },
        schema_overrides={"fact_sources": pl.Utf8},
    )
    resolved = cm.resolve_facts(facts, scenarios)
    assert resolved.height == 4  # every fact stays, under every scenario
    chosen = dict(resolved.filter("chosen").select("scenario", "value").iter_rows())
    assert chosen == {"paper": 8e9, "default": 8.2e9}


def test_moe_models_use_active_parameters_only_when_the_scenario_says_so():
    frame = pl.DataFrame({"total": [235e9], "active": [22e9]})
    for convention, expected in (("total", 235e9), ("active", 22e9)):
        got = frame.select(cm._params_for(pl.col("total"), pl.col("active"), pl.lit(convention))).item()
        assert got == expected
    assert math.isclose(value(formulas.pretraining_flops(22e9, 36e12)), 4.752e24)


def test_hardware_time_method_for_phi4():
    # 1,920 H100s for 21 days at the datasheet peak and 40 % MFU
    assert value(formulas.hardware_flops(1920, 21, 989.4e12, 0.40)) == pytest.approx(1920 * 21 * 24 * 3600 * 989.4e12 * 0.40)
    assert sig(value(formulas.hardware_flops(1920, 21, 1000e12, 0.38))) == 1.32e24


def test_inference_costs_two_flops_per_active_parameter():
    frame = pl.DataFrame(
        {
            "params_active": [37e9],
            "params_total": [671e9],
            "peak_flops_per_s": [1e15],
            "inference_mfu": [0.25],
            "tdp_w": [700.0],
            "pue": [1.1],
            "grid_tco2e_per_mwh": [0.429],
            "usd_per_gpu_hour": [3.0],
        }
    )
    row = cm.inference_costs(frame.with_columns(inference_flops_per_token=cm.model_inference_flops_per_token())).row(0, named=True)
    assert row["inference_flops_per_token"] == 74e9
    assert row["gpu_seconds_per_million_tokens"] == pytest.approx(74e9 * 1e6 / 2.5e14)
    kwh = row["gpu_seconds_per_million_tokens"] / 3600 * 0.7 * 1.1
    assert row["energy_kwh_per_million_tokens"] == pytest.approx(kwh)
    assert row["gco2e_per_million_tokens"] == pytest.approx(kwh * 429)
    assert row["cost_usd_per_million_tokens"] == pytest.approx(row["gpu_seconds_per_million_tokens"] / 3600 * 3.0)


def _lineage_input(rows):
    flops = pl.DataFrame(
        [
            {"scenario": "s", "model_id": m, "teacher": t, "training_flops": f, "training_flops_scope": sc, "finetune_flops": None}
            for m, t, f, sc in rows
        ],
        schema=cm.LINEAGE_INPUTS,
    )
    return flops


def _parents(children, parent_ids):
    """Resolved base models (none of them unresolved), as the lineage asset reads them from core.lineage_edges."""
    return pl.DataFrame(
        {"model_id": children, "parent_id": parent_ids, "base_unresolved": [False] * len(children)},
        schema={"model_id": pl.Utf8, "parent_id": pl.Utf8, "base_unresolved": pl.Boolean},
    )


def test_lineage_adds_the_base_models_compute_and_respects_cumulative_figures():
    flops = _lineage_input(
        [
            ("base", None, 10.0, "marginal"),
            ("student", "teacher", 2.0, "marginal"),
            ("rl", None, 15.0, "cumulative"),
            ("teacher", None, 100.0, "marginal"),
            ("student2", "teacher", 3.0, "marginal"),
        ]
    )
    parents = _parents(["student", "rl", "student2"], ["base", "base", "student"])
    rows = {r["model_id"]: r for r in cm.lineage(flops, parents).to_dicts()}
    assert rows["student"]["lineage_flops"] == 12.0 and rows["student"]["marginal_flops"] == 2.0
    assert rows["student2"]["lineage_flops"] == 15.0 and rows["student2"]["lineage_path"] == "base > student > student2"
    assert rows["rl"]["lineage_flops"] == 15.0 and rows["rl"]["marginal_flops"] == 5.0
    assert rows["student"]["teacher_share_flops"] == 50.0  # the teacher's 100 shared by two students
    assert rows["student"]["lineage_flops_with_teacher_share"] == 62.0
    assert rows["base"]["lineage_flops"] == 10.0 and rows["base"]["lineage_depth"] == 0


def test_a_cumulative_figure_far_above_its_base_is_a_disagreement_not_a_fine_tune():
    # Epoch's 1.224e24 for Llama 3.1 8B Instruct (hardware time) over the base's 7.227e23 (6*N*D from its card)
    flops = _lineage_input(
        [("base", None, 7.227e23, "marginal"), ("instruct", None, 1.224e24, "cumulative"), ("rl", None, 1.0e24, "cumulative")]
    )
    rows = {r["model_id"]: r for r in cm.lineage(flops, _parents(["instruct", "rl"], ["base", "base"])).to_dicts()}
    assert rows["instruct"]["marginal_flops"] is None and rows["instruct"]["lineage_flops"] == 1.224e24
    assert rows["instruct"]["lineage_note"].startswith("cumulative figure is 1.69x its base model's lineage compute")
    assert rows["rl"]["marginal_flops"] == pytest.approx(1.0e24 - 7.227e23)  # 1.38x: a large post-training run
    assert rows["rl"]["lineage_note"] == "figure includes the base model's compute"


def test_a_lineage_deeper_than_any_fixed_limit_is_summed_to_its_root():
    depth = 60
    flops = _lineage_input([(f"m{i}", None, 1.0, "marginal") for i in range(depth)])
    rows = {
        r["model_id"]: r
        for r in cm.lineage(flops, _parents([f"m{i}" for i in range(1, depth)], [f"m{i - 1}" for i in range(1, depth)])).to_dicts()
    }
    assert rows[f"m{depth - 1}"]["lineage_flops"] == depth and rows[f"m{depth - 1}"]["lineage_depth"] == depth - 1


def test_lineage_cycle_does_not_hang_and_leaves_lineage_unknown():
    flops = _lineage_input([("x", None, 1.0, "marginal"), ("y", None, 1.0, "marginal")])
    parents = _parents(["x", "y"], ["y", "x"])
    rows = cm.lineage(flops, parents)
    assert rows["lineage_flops"].null_count() == 2


@settings(max_examples=examples(100), deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=12))
def test_lineage_of_any_forest_matches_walking_each_chain(data, size):
    # Each model may name an earlier one as its base (a forest, as cards give it); lineage must equal the
    # sum along the chain written out by hand, whichever models have parents.
    flops_values = data.draw(st.lists(st.floats(min_value=1.0, max_value=1e6), min_size=size, max_size=size))
    parent_of = {i: data.draw(st.one_of(st.none(), st.integers(min_value=0, max_value=i - 1))) if i else None for i in range(size)}
    flops = _lineage_input([(f"m{i}", None, flops_values[i], "marginal") for i in range(size)])
    parents = _parents([f"m{i}" for i, p in parent_of.items() if p is not None], [f"m{p}" for p in parent_of.values() if p is not None])
    rows = {r["model_id"]: r for r in cm.lineage(flops, parents).to_dicts()}
    for i in range(size):
        chain, node = [], i
        while node is not None:
            chain.append(node)
            node = parent_of[node]
        assert rows[f"m{i}"]["lineage_flops"] == pytest.approx(sum(flops_values[c] for c in chain), rel=1e-12)
        assert rows[f"m{i}"]["lineage_depth"] == len(chain) - 1
        assert rows[f"m{i}"]["lineage_path"] == " > ".join(f"m{c}" for c in reversed(chain))


@settings(max_examples=examples(200), deadline=None)
@given(
    flops=st.floats(min_value=1e15, max_value=1e28),
    low=fraction,
    high=fraction,
    mid=fraction,
    price_low=st.floats(min_value=0.1, max_value=20),
    price_spread=st.floats(min_value=0, max_value=20),
)
def test_ranges_are_ordered_low_value_high(flops, low, high, mid, price_low, price_spread):
    low, mid, high = sorted((low, mid, high))
    hardware = pl.DataFrame(
        {
            "scenario": ["s"],
            "accelerator_id": ["a"],
            "peak_flops_per_s": [1e15],
            "mfu": [mid],
            "mfu_low": [low],
            "mfu_high": [high],
            "tdp_w": [700.0],
            "pue": [1.1],
            "grid_tco2e_per_mwh": [0.4],
            "usd_per_gpu_hour": [price_low + price_spread / 2],
            "usd_per_gpu_hour_low": [price_low],
            "usd_per_gpu_hour_high": [price_low + price_spread],
            "inference_mfu": [0.25],
        }
    )
    # a figure with no range of its own (factor 1) and a Speculative estimate's (x/÷ 31.6)
    jobs = pl.DataFrame(
        {
            "scenario": ["s", "s"],
            "job": ["j", "k"],
            "training_flops": [flops, flops],
            "training_flops_low": [flops, flops / 31.6],
            "training_flops_high": [flops, flops * 31.6],
        }
    )
    priced = cm.price_hardware(jobs, hardware).with_columns(
        gpu_hours=pl.col("gpu_hours_computed"),
        gpu_hours_low=pl.col("gpu_hours_computed_low"),
        gpu_hours_high=pl.col("gpu_hours_computed_high"),
    )
    for row in cm._energy_emissions_money(priced).iter_rows(named=True):
        for measure in ("gpu_hours", "energy_mwh", "cost_usd"):
            assert row[f"{measure}_low"] <= row[measure] * (1 + 1e-12) and row[measure] <= row[f"{measure}_high"] * (1 + 1e-12)
        assert row["tco2e_computed_low"] <= row["tco2e_computed_high"] * (1 + 1e-12)


@settings(max_examples=examples(200), deadline=None)
@given(hours=positive, price=st.floats(min_value=0.01, max_value=100), k=st.floats(min_value=1, max_value=10))
def test_cost_is_linear_in_hours_and_price(hours, price, k):
    frame = pl.DataFrame(
        {
            "gpu_hours": [hours, hours * k],
            "gpu_hours_low": [hours, hours * k],
            "gpu_hours_high": [hours, hours * k],
            "tdp_w": [700.0] * 2,
            "pue": [1.1] * 2,
            "grid_tco2e_per_mwh": [0.4] * 2,
            "usd_per_gpu_hour": [price] * 2,
            "usd_per_gpu_hour_low": [price] * 2,
            "usd_per_gpu_hour_high": [price] * 2,
        }
    )
    costs = cm._energy_emissions_money(frame)["cost_usd"].to_list()
    assert costs[0] == pytest.approx(hours * price) and costs[1] == pytest.approx(costs[0] * k)


@settings(max_examples=examples(200), deadline=None)
@given(n=positive, d=positive, epochs=st.floats(min_value=1, max_value=10), k=st.floats(min_value=1, max_value=10))
def test_fine_tuning_is_pretraining_times_epochs_and_linear_in_epochs(n, d, epochs, k):
    once = value(formulas.fine_tuning_flops(n, d, epochs))
    assert once == pytest.approx(value(formulas.pretraining_flops(n, d)) * epochs, rel=1e-12)
    assert value(formulas.fine_tuning_flops(n, d, epochs * k)) == pytest.approx(once * k, rel=1e-12)


@settings(max_examples=examples(200), deadline=None)
@given(
    gpus=st.integers(min_value=1, max_value=100_000),
    days=st.floats(min_value=0.01, max_value=365),
    peak=st.floats(min_value=1e12, max_value=1e16),
    mfu=fraction,
)
def test_hardware_method_and_gpu_hours_invert_each_other(gpus, days, peak, mfu):
    flops = value(formulas.hardware_flops(gpus, days, peak, mfu))
    assert value(formulas.gpu_hours(flops, peak, mfu)) == pytest.approx(gpus * days * 24, rel=1e-9)


@settings(max_examples=examples(200), deadline=None)
@given(n=positive, k=st.floats(min_value=1, max_value=100))
def test_inference_flops_per_token_is_linear_in_active_parameters(n, k):
    assert value(formulas.inference_flops_per_token(n)) == 2 * n
    assert value(formulas.inference_flops_per_token(n * k)) == pytest.approx(2 * n * k, rel=1e-12)


@settings(max_examples=examples(200), deadline=None)
@given(flops=st.floats(min_value=1e15, max_value=1e28), k=st.floats(min_value=1, max_value=1000))
def test_gpu_hours_are_linear_in_flops(flops, k):
    assert value(formulas.gpu_hours(flops * k, 1e15, 0.4)) == pytest.approx(value(formulas.gpu_hours(flops, 1e15, 0.4)) * k, rel=1e-12)


_HARDWARE_ROW = {
    "scenario": "s",
    "accelerator_id": "a",
    "peak_flops_per_s": 1e15,
    "mfu": 0.4,
    "mfu_low": 0.3,
    "mfu_high": 0.5,
    "tdp_w": 700.0,
    "pue": 1.1,
    "grid_tco2e_per_mwh": 0.4,
    "usd_per_gpu_hour": 2.0,
    "usd_per_gpu_hour_low": 1.0,
    "usd_per_gpu_hour_high": 3.0,
    "inference_mfu": 0.25,
}
_maybe = st.one_of(st.none(), st.floats(min_value=1.0, max_value=1e6))


@settings(max_examples=examples(200), deadline=None)
@given(
    method=st.sampled_from(list(formulas.TRAINING_FORMULAS)),
    params=st.floats(min_value=1e6, max_value=1e12),
    teacher=st.floats(min_value=1e6, max_value=1e13),
    samples=_maybe,
    per_sample=_maybe,
    tokens=st.floats(min_value=1e6, max_value=1e14),
    epochs=st.one_of(st.none(), st.floats(min_value=0.5, max_value=20)),
)
def test_a_models_card_and_a_workload_with_the_same_inputs_cost_the_same(method, params, teacher, samples, per_sample, tokens, epochs):
    """The per-model path (a card's chosen inputs) and the per-workload path (the paper's §4) price one run alike,
    epochs included; the distillation split (teacher + student) adds up to the same figure."""
    card = pl.DataFrame(
        [
            {
                "scenario": "s",
                "model_id": "m",
                "method": method,
                "params_used": params,
                "teacher_params_used": teacher,
                "distillation_samples": samples,
                "tokens_per_sample": per_sample,
                "training_tokens": tokens,
                "epochs": epochs,
                "gpu_count": None,
                "training_days": None,
                "hardware_peak": None,
                "hardware_mfu": None,
                "params_active": None,
                "params_total": params,
                "declared_flops_kind": None,
            }
        ],
        schema_overrides={
            c: pl.Float64
            for c in (
                "distillation_samples",
                "tokens_per_sample",
                "epochs",
                "gpu_count",
                "training_days",
                "hardware_peak",
                "hardware_mfu",
                "params_active",
            )
        }
        | {"declared_flops_kind": pl.Utf8},
    )
    no_facts = pl.DataFrame(
        schema={
            "model_id": pl.Utf8,
            "quantity": pl.Utf8,
            "kind": pl.Utf8,
            "value": pl.Float64,
            "source": pl.Utf8,
            "scope": pl.Utf8,
            "confidence": pl.Utf8,
            "tie_order": pl.Int64,
        }
    )
    candidates = cm.flops_candidates(card, no_facts)
    per_model = candidates.filter(pl.col("flops_method") == "formula").row(0, named=True)
    workload = pl.DataFrame(
        [
            {
                "workload_id": "w",
                "name": "w",
                "section": "4",
                "method": method,
                "in_table2": False,
                "params": params,
                "teacher_params": teacher,
                "samples": samples,
                "tokens_per_sample": per_sample,
                "tokens": tokens,
                "epochs": epochs,
                "training_flops": None,
            }
        ],
        schema_overrides={c: pl.Float64 for c in ("samples", "tokens_per_sample", "epochs", "training_flops")},
    )
    per_workload = cm.workload_costs(workload, pl.DataFrame({"scenario": ["s"]}), pl.DataFrame([_HARDWARE_ROW]))
    assert per_workload["training_flops"].item() == pytest.approx(per_model["training_flops"], rel=1e-12)
    assert per_model["formula"] == formulas.TRAINING_FORMULAS[method]
    # the chosen row carries the split; for distillation the parts add up to the formula's figure
    scenarios = pl.DataFrame({"scenario": ["s"], "flops_method_precedence": ["declared"]})
    chosen = cm.choose_flops(card, candidates, scenarios, {}).row(0, named=True)
    assert chosen["training_flops"] == pytest.approx(per_model["training_flops"], rel=1e-12)
    if method == "distillation":
        assert chosen["teacher_flops"] + chosen["student_flops"] == pytest.approx(chosen["training_flops"], rel=1e-12)


def test_epochs_multiply_only_the_students_part_of_distillation():
    # DeepSeek-R1-Distill-Llama-8B's inputs (800k samples x 750 tokens from a 685B teacher), trained for 2 epochs:
    # the teacher writes its outputs once, the student reads them twice.
    tokens = 800_000 * 750
    two_epochs = value(formulas.distillation_flops(685e9, 8e9, tokens, 2))
    assert two_epochs == pytest.approx(2 * 685e9 * tokens + 2 * 6 * 8e9 * tokens)
    assert sig(two_epochs, 4) == 8.796e20
    assert value(formulas.distillation_flops(685e9, 8e9, tokens)) == pytest.approx(8.508e20)  # the paper's, one epoch
