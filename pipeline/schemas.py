"""Pandera (polars backend) schemas for validated records. Field descriptions flow into Dagster's column schema."""

from __future__ import annotations

import re
from typing import Optional

import pandera.polars as pa

from pipeline.fields import describe
from pipeline.formulas import METHODS  # the training methods are the formulas' (and `external`)

MODEL_TYPES = ["Vanilla", "Distilled", "Proprietary", "Teacher"]
FACT_KINDS = ["reported", "estimated", "published"]
QUANTITIES = [
    "params_total",
    "params_active",
    "training_tokens",
    "training_datapoints",
    "distillation_samples",
    "tokens_per_sample",
    "epochs",
    "training_flops",
    "gpu_hours",
    "tco2e",
    "gpu_count",
    "training_days",
    "training_hours",
    "finetune_flops",
]
# Epoch AI's confidence labels for its estimates; each widens a figure's range (data/reference/estimate_confidence.csv).
ESTIMATE_CONFIDENCE = ["Confident", "Likely", "Speculative", "Unknown"]
# Names from untrusted input: no newlines, escapes or NULs (C0 and C1 controls), and none of the invisible
# characters that make one name look like another or reorder what is shown (zero-width, bidi overrides).
# Soft hyphens, combining grapheme joiners, Hangul and Mongolian fillers and variation selectors draw nothing either.
UNSAFE_CHARS = (
    "\x00-\x1f\x7f-\x9f\xad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2069\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
NO_CONTROL_CHARS = f"^[^{UNSAFE_CHARS}]+$"
_UNSAFE = re.compile(f"[{UNSAFE_CHARS}]")
# A Latin letter next to a Cyrillic, Greek, Armenian or Cherokee one (digits and marks between): `Qwеn3-8B` with a
# Cyrillic `е` reads as another model's name. Names written wholly in one script, or Latin beside CJK, are fine.
_LOOKALIKE_SCRIPTS = r"[\p{Cyrillic}\p{Greek}\p{Armenian}\p{Cherokee}]"
MIXED_SCRIPT = rf"\p{{Latin}}[\p{{N}}\p{{M}}]*{_LOOKALIKE_SCRIPTS}|{_LOOKALIKE_SCRIPTS}[\p{{N}}\p{{M}}]*\p{{Latin}}"


def printable(text: str) -> str:
    """`text` with every unsafe character written as an escape (`\\x1b`): a file name cannot forge a log line."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


# Anything above this many parameters or FLOP is a typo or an attack, not a model.
MAX_PARAMS = 1e14
MAX_FLOPS = 1e30


class _NamedRecords(pa.DataFrameModel):
    """What every record naming a model checks of the name (each check named, so a quarantine row reads well)."""

    @pa.check(
        "model_name",
        name="no_invisible_characters",
        error="no_invisible_characters: control, zero-width, filler or direction-changing characters",
    )
    def no_invisible_characters(cls, data):
        import polars as pl

        return data.lazyframe.select(pl.col(data.key).str.contains(NO_CONTROL_CHARS))

    @pa.check(
        "model_name",
        name="no_lookalike_letters",
        error="no_lookalike_letters: Latin letters beside lookalikes from another script in one word",
    )
    def no_lookalike_letters(cls, data):
        import polars as pl

        return data.lazyframe.select(~pl.col(data.key).str.contains(MIXED_SCRIPT))


class ModelRecord(_NamedRecords):
    source_name: str = pa.Field(description="Catalogue name of the source the record came from")
    record_id: str = pa.Field()
    model_name: str = pa.Field(str_length={"min_value": 1, "max_value": 300})
    hub_id: Optional[str] = pa.Field(nullable=True)
    ledger_id: Optional[str] = pa.Field(nullable=True, description="`ledger.id` of a Distill Ledger card")
    aliases: Optional[str] = pa.Field(nullable=True, description="Other names, `|`-separated")
    organization: Optional[str] = pa.Field(nullable=True, description="Developer")
    model_type: Optional[str] = pa.Field(
        nullable=True, isin=MODEL_TYPES, description="Vanilla / Distilled / Proprietary / Teacher, when the source says"
    )
    method: Optional[str] = pa.Field(nullable=True, isin=METHODS, description="How training compute is estimated, when the source says")
    base_model: Optional[str] = pa.Field(nullable=True, description="`base_model` as written, `|`-separated")
    teacher: Optional[str] = pa.Field(nullable=True, description="Distillation teacher as written")
    license: Optional[str] = pa.Field(nullable=True, description="Licence id")
    tags: Optional[str] = pa.Field(nullable=True, description="Tags, `|`-separated")
    distilled: Optional[bool] = pa.Field(nullable=True, description="Whether the model was decided to be distilled")
    distilled_basis: Optional[str] = pa.Field(nullable=True, description="The evidence that decided `distilled`")
    as_of: Optional[str] = pa.Field(nullable=True, description="Date the record's facts were collected")
    content_sha256: Optional[str] = pa.Field(nullable=True, description="SHA-256 of the card bytes, for cards")
    origin: Optional[str] = pa.Field(nullable=True, description="File or link the record came from")

    class Config:
        strict = True

    @pa.dataframe_check(description="one record per (source, model name)")
    def unique_per_source(cls, data) -> bool:
        import polars as pl

        return data.lazyframe.select(~pl.struct("source_name", "model_name").is_duplicated())


class ModelFact(_NamedRecords):
    source_name: str = pa.Field()
    record_id: str = pa.Field(description="File or row the fact was read from")
    model_name: str = pa.Field()
    quantity: str = pa.Field(isin=QUANTITIES, description="What is measured")
    value: float = pa.Field(gt=0, le=MAX_FLOPS, description="Value in `unit`; finite and positive")
    value_raw: Optional[str] = pa.Field(nullable=True, description="Value as written in the source")
    unit: str = pa.Field(description="Unit of `value`")
    kind: str = pa.Field(isin=FACT_KINDS, description="reported (developer) / estimated (third party) / published (the paper)")
    source: str = pa.Field(str_length={"min_value": 1}, description="Where the value comes from")
    url: str = pa.Field(str_matches=r"^https://")
    accelerator: Optional[str] = pa.Field(nullable=True, description="Accelerator a GPU figure refers to")
    basis: Optional[str] = pa.Field(nullable=True, description="Accounting basis, e.g. location-based emissions")
    scope: Optional[str] = pa.Field(
        nullable=True,
        isin=["marginal", "cumulative"],
        description="For FLOPs: `cumulative` if the figure includes the base model's compute",
    )
    note: Optional[str] = pa.Field(nullable=True, description="Why the value is what it is")
    as_of: Optional[str] = pa.Field(nullable=True, description="Date the fact was collected")
    confidence: Optional[str] = pa.Field(
        nullable=True, isin=ESTIMATE_CONFIDENCE, description="The source's own confidence in an estimate (Epoch AI's scale)"
    )

    class Config:
        strict = True

    @pa.dataframe_check(description="parameter counts stay below 1e14")
    def params_plausible(cls, data) -> bool:
        import polars as pl

        return data.lazyframe.select(~pl.col("quantity").str.starts_with("params") | (pl.col("value") <= MAX_PARAMS))


class BenchmarkResult(_NamedRecords):
    source_name: str = pa.Field()
    record_id: str = pa.Field(description="File or row the result was read from")
    model_name: str = pa.Field()
    benchmark: str = pa.Field()
    dataset_type: Optional[str] = pa.Field(nullable=True, description="Dataset id (model-index)")
    dataset_config: Optional[str] = pa.Field(nullable=True, description="Dataset config (model-index)")
    metric: Optional[str] = pa.Field(nullable=True, description="Metric, e.g. pass@1, acc, mean_score")
    score_raw: Optional[str] = pa.Field(nullable=True, description="Score as written")
    score: Optional[float] = pa.Field(nullable=True, description="Score on the source's own scale")
    scale: str = pa.Field(isin=["fraction", "percent", "other"], description="Scale of `score`")
    score_pct: Optional[float] = pa.Field(nullable=True, ge=0, le=100, description="Score in percent (null for non-percent metrics)")
    k: Optional[int] = pa.Field(nullable=True, ge=1, description="Samples per question")
    temperature: Optional[float] = pa.Field(nullable=True, ge=0, le=10, description="Sampling temperature")
    top_p: Optional[float] = pa.Field(nullable=True, ge=0, le=1, description="Nucleus-sampling top-p")
    n_questions: Optional[int] = pa.Field(nullable=True, ge=0, description="Questions scored")
    source: Optional[str] = pa.Field(nullable=True, description="Who measured it")
    url: Optional[str] = pa.Field(nullable=True)
    as_of: Optional[str] = pa.Field(nullable=True, description="Date of the result")
    setting: Optional[str] = pa.Field(
        nullable=True, description="Run setting the source names (reasoning effort, thinking budget); null for the model's default"
    )
    kind: str = pa.Field(
        isin=FACT_KINDS,
        description="estimated (a third party's evaluation run) / reported (the "
        "developer's card or report) / published (printed in a paper)",
    )

    class Config:
        strict = True

    @pa.dataframe_check(description="a percent-scale result has a finite score")
    def percent_needs_score(cls, data) -> bool:
        import polars as pl

        return data.lazyframe.select((pl.col("scale") == "other") | pl.col("score_pct").is_not_null())


class PaperTable1Row(pa.DataFrameModel):
    source_name: str = pa.Field(description="Catalogue name of the table")
    row_number: int = pa.Field(ge=1, description="Row in the printed table")
    model_name: str = pa.Field(unique=True, description="Model name as printed")
    model_type: str = pa.Field(isin=MODEL_TYPES, description="Type as printed")
    training_flops: float = pa.Field(gt=0, le=MAX_FLOPS, description="Training compute as printed, FLOP")
    gpu_hours_h100: float = pa.Field(gt=0, description="H100 GPU-hours as printed")
    tco2e: float = pa.Field(gt=0, description="Emissions as printed, tCO2e")
    gpqa_diamond: float = pa.Field(ge=0, le=100, description="GPQA Diamond as printed, percent")
    aime_2024: float = pa.Field(ge=0, le=100, description="AIME 2024 as printed, percent")

    class Config:
        strict = False  # the *_printed and *_sig_digits companions pass through


class PaperTable2Cell(pa.DataFrameModel):
    source_name: str = pa.Field(description="Catalogue name of the table")
    workload_name: str = pa.Field(description="Workload as printed")
    accelerator_label: str = pa.Field(description="Accelerator column heading as printed")
    training_flops: float = pa.Field(gt=0, description="Training compute as printed, FLOP")
    gpu_hours: float = pa.Field(gt=0, description="GPU-hours as printed")
    tco2e: float = pa.Field(gt=0, description="Emissions as printed, tCO2e")

    class Config:
        strict = False


class Accelerator(pa.DataFrameModel):
    accelerator_id: str = pa.Field(unique=True)
    name: str = pa.Field(description="Product name")
    peak_bf16_dense_tflops: float = pa.Field(gt=0, le=100_000, description="Dense BF16 peak, TFLOP/s (datasheet)")
    tdp_w: float = pa.Field(gt=0, le=10_000, description="Thermal design power, W (datasheet)")
    mfu_low: float = pa.Field(gt=0, le=1, description="Low end of the MFU range")
    mfu_high: float = pa.Field(gt=0, le=1, description="High end of the MFU range")
    mfu_default: float = pa.Field(gt=0, le=1, description="MFU used unless a scenario overrides it")
    datasheet_url: str = pa.Field(str_matches=r"^https://", description="Datasheet link")

    class Config:
        strict = False

    @pa.dataframe_check(description="mfu_low <= mfu_default <= mfu_high")
    def mfu_ordered(cls, data) -> bool:
        import polars as pl

        return data.lazyframe.select((pl.col("mfu_low") <= pl.col("mfu_default")) & (pl.col("mfu_default") <= pl.col("mfu_high")))


FLOPS_METHODS = ["declared", "reported", "formula", "hardware", "estimated", "published"]


def _ordered(values: list[str]) -> str:
    """A pattern for a `|`-separated list of `values`."""
    one = "(" + "|".join(values) + ")"
    return rf"^{one}(\|{one})*$"


class Scenario(pa.DataFrameModel):
    scenario: str = pa.Field(unique=True, str_matches=r"^[a-z][a-z0-9_]*$")
    description: str = pa.Field(description="What the scenario assumes")
    comparison_accelerator: str = pa.Field(description="Accelerator the reported GPU-hours and tCO2e attach to by default")
    grid_region: str = pa.Field()
    grid_tco2e_per_mwh: Optional[float] = pa.Field(
        nullable=True, ge=0, le=2, description="Override of the region's grid intensity, tCO2e/MWh"
    )
    pue: float = pa.Field(ge=1, le=3)
    moe_params: str = pa.Field(isin=["total", "active"], description="N for mixture-of-experts models")
    fact_precedence: str = pa.Field(str_matches=_ordered(FACT_KINDS), description="Kinds of fact in order of preference, `|`-separated")
    score_precedence: Optional[str] = pa.Field(
        nullable=True,
        str_matches=_ordered(FACT_KINDS),
        description="Kinds of score in order of preference, `|`-separated (null: `fact_precedence`)",
    )
    flops_method_precedence: str = pa.Field(
        str_matches=_ordered(FLOPS_METHODS), description="Training-FLOPs methods in order of preference, `|`-separated"
    )
    inference_mfu: float = pa.Field(gt=0, le=1)
    fact_sources: Optional[str] = pa.Field(
        nullable=True,
        description="Sources whose facts the scenario reads, by name or by "
        "the file or folder they read, `|`-separated (null: every source); its models "
        "are the ones they give facts for",
    )

    class Config:
        strict = True


class Workload(pa.DataFrameModel):
    workload_id: str = pa.Field(unique=True)
    name: str = pa.Field(description="Workload as named in the paper")
    method: str = pa.Field(isin=METHODS, description="Estimation method")

    class Config:
        strict = False


class GridIntensity(pa.DataFrameModel):
    region_id: str = pa.Field(unique=True)
    name: str = pa.Field(description="Region name")
    kind: str = pa.Field(isin=["study", "world", "country", "cloud_region"], description="What the region is")
    gco2e_per_kwh: float = pa.Field(ge=0, le=2000, description="Grid carbon intensity, gCO2e/kWh")
    year: int = pa.Field(ge=2000, le=2100, description="Data year")
    url: str = pa.Field(str_matches=r"^https://")

    class Config:
        strict = False


class Price(pa.DataFrameModel):
    accelerator_id: str = pa.Field(unique=True)
    usd_per_gpu_hour_low: float = pa.Field(gt=0, le=1000, description="Low end of the on-demand price, USD per GPU-hour")
    usd_per_gpu_hour_high: float = pa.Field(gt=0, le=1000, description="High end of the on-demand price, USD per GPU-hour")
    as_of: str = pa.Field(description="Month the price was observed")
    url: str = pa.Field(str_matches=r"^https://")

    class Config:
        strict = False

    @pa.dataframe_check(description="low <= high")
    def ordered(cls, data) -> bool:
        import polars as pl

        return data.lazyframe.select(pl.col("usd_per_gpu_hour_low") <= pl.col("usd_per_gpu_hour_high"))


# --- staging and marts: checked after the SQL builds them --------------------------------------

KINDS_WITH_COMPUTED = ["computed", *FACT_KINDS]


class StgFactRecord(pa.DataFrameModel):
    source_name: str = pa.Field()
    model_name: str = pa.Field()
    quantity: str = pa.Field(isin=QUANTITIES, description="What is measured")
    value: float = pa.Field(gt=0, le=MAX_FLOPS, description="Value in `unit`")
    unit: str = pa.Field(description="Unit of `value`")
    kind: str = pa.Field(isin=FACT_KINDS, description="reported / estimated / published")
    accelerator_id: Optional[str] = pa.Field(nullable=True, description="Catalogue accelerator id, when the source names exactly one")
    scope: str = pa.Field(isin=["marginal", "cumulative"], description="For FLOPs: whether the figure includes the base model's compute")

    class Config:
        strict = False


class StgBenchmarkRecord(pa.DataFrameModel):
    source_name: str = pa.Field()
    model_name: str = pa.Field()
    benchmark_id: str = pa.Field(description="Canonical benchmark id, or `unmapped:<name>` kept apart")
    score_pct: Optional[float] = pa.Field(nullable=True, ge=0, le=100)

    class Config:
        strict = False


class ModelComparison(pa.DataFrameModel):
    scenario: str = pa.Field()
    model_id: str = pa.Field()
    model: str = pa.Field()
    model_type: str = pa.Field(isin=MODEL_TYPES)
    model_as_of: Optional[str] = pa.Field(
        nullable=True,
        description="The model's date: its publication date where the first "
        "source naming it gives one (Epoch AI), else when its card's facts were collected",
    )
    training_flops: Optional[float] = pa.Field(nullable=True, gt=0, le=MAX_FLOPS, description="Training compute the scenario uses, FLOP")
    training_flops_kind: Optional[str] = pa.Field(
        nullable=True, isin=KINDS_WITH_COMPUTED, description="computed / reported / estimated / published"
    )
    lineage_flops: Optional[float] = pa.Field(nullable=True, gt=0, description="Base model's lineage compute plus this model's, FLOP")
    accelerator_id: str = pa.Field(
        description="The scenario's comparison accelerator, which the GPU-hours, energy, emissions and cost are on"
    )
    gpu_hours: Optional[float] = pa.Field(nullable=True, gt=0, description="GPU-hours on the comparison accelerator")
    gpu_hours_low: Optional[float] = pa.Field(nullable=True, gt=0, description="GPU-hours at the high end of the MFU range")
    gpu_hours_high: Optional[float] = pa.Field(nullable=True, gt=0, description="GPU-hours at the low end of the MFU range")
    energy_mwh: Optional[float] = pa.Field(nullable=True, ge=0)
    tco2e: Optional[float] = pa.Field(nullable=True, ge=0)
    cost_usd: Optional[float] = pa.Field(nullable=True, ge=0)
    gpqa_diamond: Optional[float] = pa.Field(nullable=True, ge=0, le=100)
    aime_2024: Optional[float] = pa.Field(nullable=True, ge=0, le=100)
    flags: Optional[str] = pa.Field(nullable=True, description="Reconciliation flags and notes")

    class Config:
        strict = False

    @pa.dataframe_check(description="one row per (scenario, model)")
    def unique_rows(cls, data) -> bool:
        import polars as pl

        return data.lazyframe.select(~pl.struct("scenario", "model_id").is_duplicated())


class HardwareComparison(pa.DataFrameModel):
    scenario: str = pa.Field()
    workload_id: str = pa.Field()
    accelerator_id: str = pa.Field()
    training_flops: float = pa.Field(gt=0, description="Training compute, FLOP")
    mfu: float = pa.Field(gt=0, le=1)
    gpu_hours: float = pa.Field(gt=0)
    tco2e: float = pa.Field(ge=0)

    class Config:
        strict = False


class DistillationPair(pa.DataFrameModel):
    scenario: str = pa.Field()
    student_id: str = pa.Field(description="The distilled model")
    vanilla_id: str = pa.Field(description="Its vanilla counterpart (its base model)")
    marginal_multiplier: Optional[float] = pa.Field(
        nullable=True, gt=0, description="Vanilla training ÷ distilled marginal compute (the paper's view)"
    )
    lineage_multiplier: Optional[float] = pa.Field(nullable=True, gt=0, description="Vanilla lineage ÷ distilled lineage compute")

    class Config:
        strict = False


class StgScenario(pa.DataFrameModel):
    scenario: str = pa.Field(unique=True, description="Scenario name (presets and any what-if)")
    grid_region: str = pa.Field()
    grid_tco2e_per_mwh: float = pa.Field(ge=0, le=2, description="Grid intensity used, tCO2e/MWh (null if the region is unknown)")
    pue: float = pa.Field(ge=1, le=3)

    class Config:
        strict = False


class StgPaperTable2Cell(pa.DataFrameModel):
    workload_name: str = pa.Field(description="Workload as printed")
    accelerator_label: str = pa.Field()
    gpu_hours: float = pa.Field(gt=0, description="GPU-hours as printed")
    tco2e: float = pa.Field(gt=0, description="tCO2e as printed")

    class Config:
        strict = False


# --- the cost model's tables: built in polars (pipeline/costmodel.py), their columns in this order ---------------


def _column(dtype: type, nullable: bool = True, **check) -> pa.Column:
    """One column; `check` is one of pandera's comparison checks (`gt=0`, `isin=[...]`)."""
    checks = [getattr(pa.Check, name)(value) for name, value in check.items()]
    return pa.Column(dtype, checks=checks, nullable=nullable)


def _ranged(name: str, **check) -> dict[str, pa.Column]:
    """A figure with the low and high ends of its range."""
    return {f"{name}{end}": _column(float, **check) for end in ("", "_low", "_high")}


def _table(name: str, columns: dict[str, pa.Column]) -> pa.DataFrameSchema:
    for column_name, column in columns.items():
        column.description = describe(column_name)
    return pa.DataFrameSchema(columns, name=name, strict=True, ordered=True)


_KEYS = {"scenario": _column(str, nullable=False), "model_id": _column(str, nullable=False)}
_PROVENANCE = {"kind": _column(str, isin=KINDS_WITH_COMPUTED), "source": _column(str)}

FLOPS_CANDIDATES = _table(
    "costs.flops_candidates",
    {
        **_KEYS,
        "flops_method": _column(str, nullable=False),
        "training_flops": _column(float, gt=0),
        "formula": _column(str),
        **_PROVENANCE,
        "scope": _column(str, isin=["marginal", "cumulative"]),
        "confidence": _column(str),
    },
)
LINEAGE = _table(
    "costs.lineage",
    {
        **_KEYS,
        "parent_id": _column(str),
        "teacher": _column(str),
        "marginal_flops": _column(float, gt=0),
        "lineage_flops": _column(float, gt=0),
        "teacher_share_flops": _column(float, ge=0),
        "lineage_flops_with_teacher_share": _column(float, gt=0),
        "lineage_depth": _column(int, ge=0),
        "lineage_path": _column(str),
        "lineage_note": _column(str),
    },
)
# Per (scenario, model, accelerator) only what depends on the accelerator: the model's inputs and the provenance of
# its training FLOPs are in `model_flops` (one row per scenario and model), the hardware in `scenario_accelerators`.
MODEL_COSTS = _table(
    "costs.model_costs",
    {
        **_KEYS,
        "accelerator_id": _column(str, nullable=False),
        "training_flops": _column(float, gt=0),
        "gpu_hours_computed": _column(float, gt=0),
        **_ranged("gpu_hours", gt=0),
        **{f"gpu_hours_{name}": column for name, column in _PROVENANCE.items()},
        **_ranged("energy_mwh", ge=0),
        "tco2e_computed": _column(float, ge=0),
        **_ranged("tco2e", ge=0),
        **{f"tco2e_{name}": column for name, column in _PROVENANCE.items()},
        **_ranged("cost_usd", ge=0),
        **{f"{name}_per_million_tokens": _column(float, ge=0) for name in ("gpu_seconds", "energy_kwh", "gco2e", "cost_usd")},
    },
)
# The hardware profile a priced row carries: what the paper's Table 2 prints beside each workload.
HARDWARE_PROFILE = ["peak_flops_per_s", "mfu", "mfu_low", "mfu_high", "tdp_w", "pue", "grid_tco2e_per_mwh"]
WORKLOAD_COSTS = _table(
    "costs.workload_costs",
    {
        "scenario": _column(str, nullable=False),
        "workload_id": _column(str, nullable=False),
        "workload": _column(str, nullable=False),
        "section": _column(str),
        "method": _column(str, isin=[*METHODS, "external"]),
        "in_table2": _column(bool),
        "training_tokens": _column(float, gt=0),
        "training_flops": _column(float, gt=0),
        "accelerator_id": _column(str, nullable=False),
        **{name: _column(float, gt=0) for name in HARDWARE_PROFILE},
        **_ranged("gpu_hours", gt=0),
        **_ranged("energy_mwh", ge=0),
        **_ranged("tco2e", ge=0),
        "usd_per_gpu_hour": _column(float, ge=0),
        **_ranged("cost_usd", ge=0),
    },
)
RECONCILIATION = _table(
    "costs.reconciliation",
    {
        **_KEYS,
        "quantity": _column(str, nullable=False),
        "accelerator_id": _column(str),
        "value_used": _column(float),
        # a figure's kind here says how it was reached too (`reported GPU count x days`, `published: as given`)
        "used_kind": _column(str),
        "used_source": _column(str),
        "value_other": _column(float),
        "other_kind": _column(str),
        "other_source": _column(str),
        "ratio": _column(float, gt=0),
        "flagged": _column(bool, nullable=False),
        "description": _column(str),
    },
)
COST_TABLE_SCHEMAS = {schema.name: schema for schema in (FLOPS_CANDIDATES, LINEAGE, MODEL_COSTS, WORKLOAD_COSTS, RECONCILIATION)}


SQL_TABLE_SCHEMAS: dict[tuple[str, str], type[pa.DataFrameModel]] = {
    ("staging", "stg_scenarios"): StgScenario,
    ("staging", "stg_paper_table1"): PaperTable1Row,
    ("staging", "stg_paper_table2"): StgPaperTable2Cell,
    ("staging", "stg_fact_records"): StgFactRecord,
    ("staging", "stg_benchmark_records"): StgBenchmarkRecord,
    ("marts", "model_comparison"): ModelComparison,
    ("marts", "hardware_comparison"): HardwareComparison,
    ("marts", "distillation_pairs"): DistillationPair,
}


def polars_columns(model: type[pa.DataFrameModel] | pa.DataFrameSchema) -> dict:
    """The columns and their polars types, in order: the frame an adapter or the cost model builds of such records."""
    schema = model if isinstance(model, pa.DataFrameSchema) else model.to_schema()
    return {name: column.dtype.type for name, column in schema.columns.items()}


def _describe_from_the_field_dictionary() -> None:
    """A schema column without wording of its own takes the field dictionary's (pipeline/fields.py)."""
    for model in [obj for obj in globals().values() if isinstance(obj, type) and issubclass(obj, pa.DataFrameModel)]:
        for name, (_, info) in model.__fields__.items():
            if not info.description:
                info.description = describe(name)


_describe_from_the_field_dictionary()
