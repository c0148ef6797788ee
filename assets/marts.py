"""Marts: the consolidated comparison tables people query, and the checks that guard them."""

from __future__ import annotations

import dagster as dg

from assets.checks import StepCheck, count_and_first, summary
from assets.sql_assets import sql_file_assets
from pipeline import costmodel

MODEL_COMPARISON = dg.AssetKey(["marts", "model_comparison"])
HARDWARE_COMPARISON = dg.AssetKey(["marts", "hardware_comparison"])


def _one_row_per_scenario_and_model(con) -> dg.AssetCheckResult:
    duplicates = con.execute(
        "select count(*) from (select scenario, model_id from marts.model_comparison group by all having count(*) > 1)"
    ).fetchall()[0][0]
    # every model in every scenario; a scenario that reads only some sources (`fact_sources`) has the models they give facts for
    expected = con.execute("""
        select coalesce(sum(case when s.fact_sources is null then (select count(*) from core.models)
                                 else (select count(distinct f.model_id) from core.facts as f
                                       where f.origin_kind = 'fact'
                                         and list_contains(string_split(s.fact_sources, '|'), f.source_name)) end), 0)
        from staging.stg_scenarios as s""").fetchall()[0][0]
    actual = con.execute("select count(*) from marts.model_comparison").fetchall()[0][0]
    return dg.AssetCheckResult(
        passed=duplicates == 0 and actual == expected,
        description=summary(
            [
                f"{duplicates} duplicate (scenario, model) rows" if duplicates else "",
                f"{actual} rows where {expected} were expected" if actual != expected else "",
            ]
        ),
        metadata={"duplicates": duplicates, "rows": actual, "expected_rows": expected},
    )


def _energy_and_emissions_follow_the_formula(con) -> dg.AssetCheckResult:
    count, bad = count_and_first(
        con,
        """
        select c.scenario, c.model_id, c.accelerator_id from costs.model_costs c
        join costs.scenario_accelerators h using (scenario, accelerator_id)
        where abs(c.energy_mwh - c.gpu_hours * h.tdp_w / 1e6 * h.pue) > 1e-9 * greatest(c.energy_mwh, 1)
           or abs(c.tco2e_computed - c.energy_mwh * h.grid_tco2e_per_mwh) > 1e-9 * greatest(c.tco2e_computed, 1)
           or (c.tco2e_kind = 'computed' and c.tco2e <> c.tco2e_computed)
    """,
    )
    return dg.AssetCheckResult(
        passed=not count,
        description=summary([f"{count} row(s) break the energy or emissions formula, first: {list(bad[0])}" if count else ""]),
        metadata={"violating_rows": count, "violations": dg.MetadataValue.json([list(r) for r in bad])},
    )


def _paper_table1_reproduced(con) -> dg.AssetCheckResult:
    # Only the models the paper's Table 1 prints: a catalogue's other models have no cell to reproduce.
    in_table1 = "from marts.model_comparison where scenario = 'paper' and paper_training_flops is not null"
    matched = con.execute(f"select count(*) {in_table1} and paper_discrepancies = ''").fetchall()[0][0]
    differing, rows = count_and_first(
        con,
        f"""
        select model, paper_discrepancies, training_flops, paper_training_flops, gpu_hours,
               paper_gpu_hours_h100, tco2e, paper_tco2e
        {in_table1} and paper_discrepancies <> '' order by model""",
    )
    return dg.AssetCheckResult(
        passed=not differing,
        severity=dg.AssetCheckSeverity.WARN,
        description=summary(
            [
                f"{matched} of {matched + differing} Table 1 rows reproduced at the printed precision; "
                + "; ".join(f"{r[0]}: {r[1]}" for r in rows[:3])
                if differing
                else ""
            ]
        ),
        metadata={
            "rows_reproduced": matched,
            "rows_differing": differing,
            "differences": dg.MetadataValue.json([[str(v) for v in r] for r in rows]),
        },
    )


def _paper_table2_reproduced(con) -> dg.AssetCheckResult:
    cells = con.execute("""
        select workload_id, accelerator_id, gpu_hours, paper_gpu_hours_printed, tco2e, paper_tco2e_printed,
               gpu_hours_rel_diff, tco2e_rel_diff, paper_agreement
        from marts.hardware_comparison where scenario = 'paper' and paper_gpu_hours is not null order by 1, 2
    """).fetchall()
    worst = max((max(abs(c[6]), abs(c[7])) for c in cells), default=0.0)
    differing = [c for c in cells if c[8] == "differs from printed"]
    # read where the mart read it, so the metadata shows the tolerance the labels used
    tolerance = con.execute("select table2_tolerance()").fetchall()[0][0]
    return dg.AssetCheckResult(
        passed=len(cells) == 9 and not differing,
        description=summary(
            [
                f"{len(cells)} Table 2 cells where 9 were expected" if len(cells) != 9 else "",
                f"{len(differing)} cell(s) differ from the printed value" if differing else "",
            ]
        ),
        metadata={
            "cells": len(cells),
            "worst_relative_difference": worst,
            "differing": len(differing),
            "tolerance": tolerance,
            "not_same_at_printed_precision": dg.MetadataValue.json([[str(v) for v in c] for c in cells if c[8] != "same as printed"]),
        },
    )


RANGED = ("gpu_hours", "energy_mwh", "tco2e", "cost_usd")


def _ranges_are_ordered(con) -> dg.AssetCheckResult:
    conditions = " or ".join(f"not ({m}_low <= {m} * (1 + 1e-9) and {m} <= {m}_high * (1 + 1e-9))" for m in RANGED)
    count, bad = count_and_first(
        con,
        f"select scenario, model_id, accelerator_id from costs.model_costs where {conditions} "
        f"union all select scenario, workload_id, accelerator_id from costs.workload_costs "
        f"where {conditions}",
    )
    return dg.AssetCheckResult(
        passed=not count,
        description=summary([f"{count} range(s) not ordered low <= value <= high, first: {list(bad[0])}" if count else ""]),
        metadata={"unordered_rows": count, "unordered": dg.MetadataValue.json([list(r) for r in bad])},
    )


def _reconciliation_flags(con) -> dg.AssetCheckResult:
    count, flagged = count_and_first(
        con,
        "select scenario, model_id, quantity, round(ratio, 3), description "
        "from costs.reconciliation where flagged order by scenario, model_id, quantity",
    )
    return dg.AssetCheckResult(
        passed=not count,
        severity=dg.AssetCheckSeverity.WARN,
        description=summary(
            [
                f"{count} reported figure(s) differ from the computed one by more than "
                f"{costmodel.RECONCILIATION_THRESHOLD}x, first: {flagged[0][0]} {flagged[0][1]} "
                f"{flagged[0][2]} {flagged[0][3]}x"
                if count
                else ""
            ]
        ),
        metadata={
            "flagged": count,
            "threshold": f"{costmodel.RECONCILIATION_THRESHOLD}x",
            "flags": dg.MetadataValue.json([[str(v) for v in r] for r in flagged]),
        },
    )


MART_CHECKS = {
    "model_comparison": [
        StepCheck(
            "one_row_per_scenario_and_model",
            "Exactly one row per (scenario, model), and every model in every scenario that reads its sources.",
            _one_row_per_scenario_and_model,
            blocking=True,
        ),
        StepCheck(
            "energy_and_emissions_follow_the_formula",
            "For computed rows: energy_mwh = gpu_hours x TDP(MW) x PUE and tco2e = energy_mwh x grid.",
            _energy_and_emissions_follow_the_formula,
            blocking=True,
        ),
        StepCheck(
            "ranges_are_ordered",
            "Every range is ordered: x_low <= x <= x_high for GPU-hours, energy, tCO2e and cost.",
            _ranges_are_ordered,
            blocking=True,
        ),
        StepCheck(
            "reconciliation_flags",
            "Reported and estimated values that disagree by more than the reconciliation threshold.",
            _reconciliation_flags,
        ),
        StepCheck(
            "paper_table1_reproduced",
            "Under `paper`, which Table 1 cells the pipeline reproduces at the printed precision and which it does not.",
            _paper_table1_reproduced,
        ),
    ],
    "hardware_comparison": [
        StepCheck(
            "paper_table2_reproduced",
            "Under `paper`, every Table 2 cell equals the printed value at its printed precision or is within "
            "the paper's own rounding of it (`table2_tolerance()` in sql/macros; the metadata shows its value).",
            _paper_table2_reproduced,
        )
    ],
}
mart_assets = sql_file_assets("marts", "marts", "table", MART_CHECKS)
