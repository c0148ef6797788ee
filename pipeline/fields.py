"""The field dictionary: one unit and one description per column name, whatever table it is in.

A column means the same thing in every table that has it (`gpu_hours` is GPU-hours wherever it appears); a table
may add what is particular to it (the paper tables' columns are "as printed") in its pandera schema. The pandera
schemas take their descriptions from here, Dagster shows them as each table's column schema, and
docs/columns.md lists every published column with them (`make docs`; a test keeps it current).

Families of columns are described by rule rather than one by one: `x_low` / `x_high` are the ends of x's range,
`x_kind` and `x_source` say what kind of figure x is and where it comes from, `paper_x` is x as the paper prints
it, `student_x` / `vanilla_x` are x of either side of a distillation pair, and so on (`RULES`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    unit: str
    description: str


KIND = "computed (by the ledger) / reported (the developer) / estimated (a third party) / published (the paper)"
F = Field

FIELDS: dict[str, Field] = {
    # identity and provenance
    "scenario": F("", "Scenario the numbers are computed under (a preset of data/reference/scenarios.yaml or a what-if)"),
    "model_id": F("", "Canonical model id: the Hub id, `ledger.id` or name of the first record naming the model"),
    "model": F("", "Display name of the model"),
    "model_name": F("", "The model's name as the source writes it"),
    "model_name_as_written": F("", "A name exactly as one source wrote it"),
    "model_type": F("", "Vanilla / Distilled / Proprietary / Teacher"),
    "model_type_basis": F("", "Why the model has its type: the card block, tag, name or list entry that says so"),
    "model_as_of": F("", "The model's date: its publication date where a source gives one, else when its facts were collected"),
    "organization": F("", "Developer of the model"),
    "method": F("", "How training compute is estimated: pretraining, distillation, fine_tuning or external (a figure given)"),
    "base_model": F("", "Base model as the source writes it"),
    "base_model_id": F("", "The base model's canonical id (null when it is not resolved)"),
    "teacher": F("", "Distillation teacher (a canonical model id where resolved)"),
    "teacher_id": F("", "The distillation teacher's canonical id"),
    "parent_id": F("", "The base model (or teacher) an edge points to, as a canonical id"),
    "parent_as_written": F("", "The base model or teacher as the source writes it"),
    "child_id": F("", "The model an edge starts from"),
    "relation": F("", "base (fine-tuned or distilled from) / teacher (distilled by)"),
    "resolved": F("", "Whether the name matched a model"),
    "sources": F("", "Catalogue sources that name the model, `|`-separated"),
    "source_name": F("", "Catalogue name of the source a row came from"),
    "source_rank": F("", "The source's position in the catalogue (ties go to the source listed first)"),
    "record_id": F("", "File, row or id of the record within its source"),
    "source": F("", "Who gives the value: developer, third party or paper, with the document"),
    "url": F("", "Link to the source"),
    "as_of": F("", "Date the value was collected or published"),
    "origin": F("", "Source and record a value was read from"),
    "origin_kind": F("", "What a value was read as: fact, benchmark score or published table cell"),
    "kind": F("", KIND),
    "confidence": F("", "The source's confidence in its estimate (Epoch AI's Confident / Likely / Speculative / Unknown)"),
    "scope": F("", "For training compute: marginal (this step only) or cumulative (includes the base model's)"),
    "basis": F("", "How the value was derived from what the source wrote"),
    "note": F("", "What else the source says about the value"),
    "tie_order": F("", "Order among values of one kind: newest snapshot, then catalogue order, then the source's row order"),
    "chosen": F("", "Whether the scenario uses this value"),
    "quantity": F("", "What a value measures (params_total, training_tokens, training_flops, gpu_hours, tco2e, ...)"),
    "value": F("in `unit`", "The value, in the row's unit"),
    "unit": F("", "Unit of the row's value"),
    "value_raw": F("", "The value as the source wrote it"),
    "matched_by": F("", "How a name was matched to a model: alias, name, Hub id, path tail or run suffix"),
    # model inputs
    "params_total": F("parameters", "Total parameter count"),
    "params_active": F("parameters", "Parameters active per token (mixture-of-experts models)"),
    "params_used": F("parameters", "N: total or active parameters, as the scenario's `moe_params` says"),
    "teacher_params_used": F("parameters", "The teacher's N, by the same convention"),
    "training_tokens": F("tokens", "D: tokens trained on"),
    "distillation_samples": F("samples", "Samples the teacher wrote for the student"),
    "tokens_per_sample": F("tokens", "Tokens per distillation sample"),
    "distillation_tokens": F("tokens", "D of a distillation: samples x tokens per sample (else its token count)"),
    "epochs": F("", "Passes over the training data (one when not given)"),
    "gpu_count": F("GPUs", "Accelerators the developer trained on"),
    "training_days": F("days", "Wall-clock days of training"),
    "finetune_flops": F("FLOP", "The source's own figure for the fine-tuning step alone (Epoch AI's Finetune compute)"),
    # compute
    "training_flops": F("FLOP", "Training compute"),
    "training_flops_formula": F("", "The formula behind the figure (6*N*D, ...) or `as given`"),
    "training_flops_method": F("", "Which method of the scenario's `flops_method_precedence` gave the figure"),
    "flops_method": F("", "Method of one estimate: formula, hardware, or the kind of a given figure"),
    "formula": F("", "The formula an estimate was computed with, or `as given`"),
    "teacher_flops": F("FLOP", "The teacher's part of a distillation: 2 * N_teacher * D"),
    "student_flops": F("FLOP", "The student's part of a distillation: 6 * N_student * D * epochs"),
    "marginal_flops": F("FLOP", "Compute of this training step alone (what the paper counts)"),
    "lineage_flops": F("FLOP", "This step's compute plus its base model's lineage compute"),
    "teacher_share_flops": F("FLOP", "The teacher's lineage compute shared out over the students distilled from it"),
    "lineage_flops_with_teacher_share": F("FLOP", "Lineage compute plus a share of the teacher's"),
    "lineage_depth": F("steps", "Base models between the model and the root of its lineage"),
    "lineage_path": F("", "The lineage from its root, `a > b > c`"),
    "lineage_note": F("", "Why a lineage figure is what it is (a cumulative figure, an unresolved base)"),
    "inference_flops_per_token": F("FLOP/token", "Serving compute: 2 * N_active"),
    # hardware and the cost model
    "accelerator_id": F("", "Accelerator id in data/reference/accelerators.csv"),
    "accelerator": F("", "The accelerator by name, as its datasheet or the source writes it"),
    "accelerator_label": F("", "Accelerator heading as printed"),
    "comparison_accelerator": F("", "The accelerator the scenario's comparison tables are on"),
    "name": F("", "Name as written (accelerator, workload or region)"),
    "peak_flops_per_s": F("FLOP/s", "Dense BF16 peak of the accelerator (after scenario overrides)"),
    "peak_kind": F("", "datasheet, or a scenario's override"),
    "mfu": F("fraction", "Model FLOPs utilisation assumed"),
    "inference_mfu": F("fraction", "MFU assumed when serving"),
    "tdp_w": F("W", "Thermal design power of one accelerator"),
    "pue": F("", "Power usage effectiveness of the data centre"),
    "grid_region": F("", "Region id in ref.grid_intensity"),
    "grid_tco2e_per_mwh": F("tCO2e/MWh", "Grid carbon intensity used"),
    "moe_params": F("", "N for mixture-of-experts models: total or active"),
    "usd_per_gpu_hour": F("USD/GPU-hour", "Price of an accelerator-hour used (the middle of its range)"),
    "price_as_of": F("", "Month the price was observed"),
    "price_source": F("", "Where the price comes from"),
    "gpu_hours": F("GPU-hours", "GPU-hours: FLOPs / (peak FLOP/s x MFU x 3600), or the developer's reported figure"),
    "energy_mwh": F("MWh", "Energy: GPU-hours x TDP x PUE"),
    "tco2e": F("tCO2e", "Emissions: energy x grid intensity, or the developer's reported figure"),
    "cost_usd": F("USD", "Training cost: GPU-hours x price"),
    "gpu_seconds_per_million_tokens": F("GPU-seconds", "Serving one million tokens"),
    "energy_kwh_per_million_tokens": F("kWh", "Energy of serving one million tokens"),
    "gco2e_per_million_tokens": F("gCO2e", "Emissions of serving one million tokens"),
    "cost_usd_per_million_tokens": F("USD", "Cost of serving one million tokens"),
    # scores
    "benchmark": F("", "Benchmark as the source names it"),
    "benchmark_id": F("", "Canonical benchmark id (data/reference/benchmarks.csv)"),
    "benchmark_as_written": F("", "A benchmark name exactly as a source wrote it"),
    "benchmark_mapped": F("", "Whether the benchmark name maps to a canonical id"),
    "score": F("", "Score as the source gives it, on its own scale"),
    "score_pct": F("percent", "Score in percent"),
    "score_raw": F("", "Score as the source wrote it"),
    "gpqa_diamond": F("percent", "GPQA Diamond"),
    "aime_2024": F("percent", "AIME 2024"),
    "setting": F("", "The run setting a score is for (reasoning effort, context length)"),
    "metric": F("", "Metric as the source names it"),
    # the paper
    "workload": F("", "Workload as the paper names it"),
    "workload_id": F("", "Workload id (data/reference/workloads.yaml)"),
    "section": F("", "Section of the paper the workload is from"),
    "in_table2": F("", "Whether the workload is a row of the paper's Table 2"),
    "matches_paper": F("", "Whether every figure equals the paper's at its printed precision"),
    "paper_agreement": F("", "How a figure compares with the paper's: equal at its precision, within its rounding, or not"),
    "paper_discrepancies": F("", "Which figures differ from the paper's Table 1, `;`-separated (empty: none)"),
    "scores_match_paper": F("", "Whether both scores equal the paper's"),
    "row_number": F("", "Row of the published table"),
    "gpu_hours_h100": F("GPU-hours", "H100 GPU-hours as the paper's Table 1 prints them"),
    "paper_gpu_hours_h100": F("GPU-hours", "H100 GPU-hours as the paper's Table 1 prints them"),
    "gpu_hours_h100_printed": F("", "The H100 GPU-hours cell of Table 1, as text"),
    "gpu_hours_h100_sig_digits": F("figures", "Significant figures of the H100 GPU-hours cell"),
    "paper_gpu_hours_printed": F("", "The paper's Table 2 GPU-hours cell, as text"),
    "paper_tco2e_printed": F("", "The paper's Table 2 tCO2e cell, as text"),
    "gpu_hours_accelerator_id": F("", "The accelerator a table's GPU-hours are on"),
    "flags": F("", "Reconciliation flags and notes, `;`-separated"),
    "reconciliation_flags": F("", "Pairs of figures that disagree by more than the threshold"),
    # distillation pairs
    "student": F("", "The distilled model"),
    "student_id": F("", "The distilled model's canonical id"),
    "vanilla": F("", "The distilled model's base model"),
    "vanilla_id": F("", "The base model's canonical id"),
    "student_identified_by": F("", "The evidence that the student is distilled"),
    "vanilla_identified_by": F("", "How the vanilla side was chosen (always the student's base model)"),
    "both_costed": F("", "Whether both sides have training compute"),
    "marginal_multiplier": F("x", "Vanilla training compute over the student's marginal compute (the paper's view)"),
    "lineage_multiplier": F("x", "Vanilla lineage compute over the student's lineage compute"),
    "lineage_multiplier_with_teacher_share": F("x", "The same with a share of the teacher's compute on the student"),
    "gpu_hours_multiplier": F("x", "Vanilla GPU-hours over the student's"),
    # reconciliation
    "value_used": F("in the quantity's unit", "The figure used"),
    "used_kind": F("", "What kind of figure the used one is"),
    "used_source": F("", "Where the used figure comes from"),
    "value_other": F("in the quantity's unit", "An alternative figure of the same quantity"),
    "other_kind": F("", "What kind of figure the alternative is"),
    "other_source": F("", "Where the alternative comes from"),
    "ratio": F("x", "Used over alternative"),
    "max_ratio": F("x", "Largest over smallest value of the quantity"),
    "flagged": F("", "Whether the two differ by more than the reconciliation threshold (1.5x)"),
    "description": F("", "What the row says, in words"),
    "min_value": F("in `unit`", "Smallest value given"),
    "max_value": F("in `unit`", "Largest value given"),
    "distinct_values": F("", "How many different values are given"),
    "values_with_sources": F("", "Every value with its kind and source"),
    # operations: loads, fetches, quarantine, history
    "check_name": F("", "The check a quarantined row failed"),
    "column_name": F("", "The column a quarantined value was in"),
    "reason": F("", "Why the row was quarantined"),
    "raw_content": F("", "The quarantined content, as read (cut at 2,000 characters)"),
    "quarantined": F("rows", "Rows quarantined"),
    "loaded_at": F("", "When the source was loaded (UTC)"),
    "rows": F("rows", "Rows"),
    "tables": F("", "Tables a name appears in"),
    "suggestion": F("", "A model the name may be, for an alias (data/model_aliases.csv)"),
    "inputs": F("files", "Files read"),
    "stale_since": F("", "Date of the archived snapshot used while the source cannot be read (null: read fresh)"),
    "data_version": F("", "Hash of what the source read (Dagster's data version)"),
    "outcome": F("", "How the load went"),
    "status": F("", "How a fetch went: fetched, not_modified, fallback or failed"),
    "fetch_status": F("", "How the last fetch went"),
    "http_status": F("", "HTTP status of the response"),
    "fetched_at": F("", "When the URL was fetched (UTC)"),
    "bytes": F("bytes", "Size of what was fetched or read"),
    "sha256": F("", "SHA-256 of the bytes"),
    "etag": F("", "The response's ETag"),
    "last_modified": F("", "The response's Last-Modified"),
    "content_type": F("", "The response's Content-Type"),
    "error": F("", "What went wrong, when something did"),
    "first_seen": F("", "Snapshot date a value was first seen"),
    "last_seen": F("", "Snapshot date a value was last seen"),
    "change": F("", "What changed between snapshots"),
    "changed_at": F("", "Snapshot date of the change"),
    "old_score_pct": F("percent", "The score before the change"),
    "new_score_pct": F("percent", "The score after the change"),
    # reference tables and the catalogue
    "alias": F("", "Another name of a model (data/model_aliases.csv)"),
    "aliases": F("", "Other names of the model or accelerator, `|`-separated"),
    "accelerator_as_written": F("", "The accelerator as the source names it"),
    "ledger_id": F("", "Id the card's `ledger` block gives the model"),
    "hub_id": F("", "Hugging Face repo id, where known"),
    "license": F("", "The model's licence as its card gives it"),
    "tags": F("", "The card's tags, `|`-separated"),
    "distilled": F("", "Whether the model is distilled, where a source decides it"),
    "distilled_basis": F("", "The evidence for `distilled`"),
    "content_sha256": F("", "SHA-256 of the record's file"),
    "source_row": F("", "Row of the record in its source"),
    "dataset_type": F("", "Dataset of a score, as the source names it"),
    "dataset_config": F("", "Dataset configuration of a score"),
    "k": F("samples", "Samples per question a pass@1 is averaged over"),
    "temperature": F("", "Sampling temperature of the run"),
    "top_p": F("", "Nucleus sampling top-p of the run"),
    "n_questions": F("questions", "Questions the score is over"),
    "scale": F("", "Scale the source's score is on (fraction or percent)"),
    "vendor": F("", "Maker of the accelerator"),
    "tier": F("", "Class of the accelerator (datacentre, workstation)"),
    "memory_gb": F("GB", "Accelerator memory"),
    "peak_bf16_dense_tflops": F("TFLOP/s", "Dense BF16 peak from the datasheet"),
    "peak_tflops": F("TFLOP/s", "A scenario's override of the peak"),
    "mfu_default": F("fraction", "MFU assumed when a scenario does not override it"),
    "mfu_basis": F("", "Where the MFU range comes from"),
    "datasheet_url": F("", "The accelerator's datasheet"),
    "price_usd_per_gpu_hour": F("USD/GPU-hour", "A scenario's or what-if's override of the price"),
    "region_id": F("", "Region id (country code, cloud region or study)"),
    "country": F("", "Country of the region"),
    "gco2e_per_kwh": F("gCO2e/kWh", "Grid carbon intensity"),
    "year": F("", "Year of the figure"),
    "grid_region_name": F("", "Name of the scenario's grid region"),
    "grid_source": F("", "Where the grid intensity comes from"),
    "grid_year": F("", "Year of the grid intensity"),
    "fact_precedence": F("", "Kinds of fact in the scenario's order of preference, `|`-separated"),
    "score_precedence": F("", "Kinds of score in the scenario's order of preference, `|`-separated"),
    "flops_method_precedence": F("", "Training-compute methods in the scenario's order of preference, `|`-separated"),
    "fact_sources": F("", "Sources whose facts the scenario reads, `|`-separated (null: every source)"),
    "scenario_origin": F("", "preset (data/reference/scenarios.yaml) or what_if (from run config)"),
    "params": F("parameters", "N of the workload's model"),
    "teacher_params": F("parameters", "N of the workload's teacher"),
    "student_params": F("parameters", "N of the distilled model"),
    "student_flops_formula": F("", "The formula behind the distilled model's training compute"),
    "samples": F("samples", "Samples of the workload's distillation"),
    "tokens": F("tokens", "Tokens of the workload"),
    "workload_name": F("", "Workload as the paper's Table 2 prints it"),
    "position": F("", "Position in its list"),
    "notes": F("", "Notes"),
    "path": F("", "Local file or folder the source reads"),
    "repo_ids": F("", "Hub repo ids the source fetches cards of"),
    "refresh": F("", "When the source is re-read: daily, weekly or manual"),
    "snapshot_date": F("", "Date the source's file was taken from upstream"),
    "upstream_url": F("", "Where the source's file comes from"),
    "licence": F("", "The data's licence"),
    "citation": F("", "How to credit the data"),
}

# What a family rule calls a base column (else the first clause of its description), and bases that are not columns.
NOUNS = {
    "training_flops": "training compute",
    "gpu_hours": "GPU-hours",
    "energy_mwh": "energy",
    "tco2e": "emissions",
    "cost_usd": "training cost",
    "gpqa_diamond": "GPQA Diamond score",
    "aime_2024": "AIME 2024 score",
    "lineage_flops": "lineage compute",
    "marginal_flops": "marginal compute",
    "usd_per_gpu_hour": "price",
    "declared_flops": "training-compute figure the card's own method picks",
    "reported_gpu_hours": "developer's reported GPU-hours",
    "reported_tco2e": "developer's reported emissions",
    "hardware": "accelerator of the reported GPU count",
}
BASE_UNITS = {"declared_flops": "FLOP", "reported_gpu_hours": "GPU-hours", "reported_tco2e": "tCO2e", "hardware": ""}

# (affix, unit: None keeps the base's, text with {} for the base's noun)
PREFIXES = [
    ("paper_", None, "{} as the paper's Table 1 or 2 prints it"),
    ("student_", None, "{} of the distilled model"),
    ("vanilla_", None, "{} of its base model"),
]
SUFFIXES = [
    ("_low", None, "{}, low end of its range (at the high end of the MFU range, or of the estimate's confidence)"),
    ("_high", None, "{}, high end of its range"),
    ("_computed", None, "{} as the ledger's formula gives them, beside a reported figure that replaces them"),
    ("_value", None, "The {}"),
    ("_kind", "", "Kind of figure of the {}: " + KIND),
    ("_source", "", "Where the {} comes from"),
    ("_scope", "", "Scope of the {}: marginal (this step) or cumulative (with the base model's)"),
    ("_confidence", "", "The source's confidence in the {}"),
    ("_accelerator", "", "Accelerator of the {}"),
    ("_peak", "FLOP/s", "Peak FLOP/s of the {}"),
    ("_mfu", "fraction", "MFU of the {}"),
    ("_printed", "", "The {} as printed"),
    ("_sig_digits", "figures", "Significant figures the {} was printed with"),
    ("_matches_paper", "", "Agreement of the {} with the paper's figure at its printed precision (at most three figures)"),
    ("_rel_diff", "fraction", "Relative difference of the {} from the paper's"),
    ("_gain", "percentage points", "{} of the distilled model minus its base model's"),
]


def _base(name: str) -> tuple[str, str] | None:
    """(unit, noun) of a column or base a rule builds on."""
    known = field(name)
    if known is None and name not in BASE_UNITS:
        return None
    if name in NOUNS:
        return (known.unit if known else BASE_UNITS[name]), NOUNS[name]
    text = known.description.split(":")[0]  # "GPU-hours: FLOPs / ..." is "GPU-hours" in a longer phrase
    return known.unit, text if text[:2].isupper() else text[0].lower() + text[1:]


def _sentence(text: str, noun: str) -> str:
    out = text.format(noun)
    return out[0].upper() + out[1:]


def field(name: str) -> Field | None:
    """The column `name`'s unit and description, from the dictionary or a family rule; None if neither has it."""
    if name in FIELDS:
        return FIELDS[name]
    for prefix, unit, text in PREFIXES:
        if name.startswith(prefix) and (base := _base(name[len(prefix) :])):
            return Field(base[0] if unit is None else unit, _sentence(text, base[1]))
    for suffix, unit, text in SUFFIXES:
        if name.endswith(suffix) and (base := _base(name[: -len(suffix)])):
            return Field(base[0] if unit is None else unit, _sentence(text, base[1]))
    return None


def describe(name: str) -> str | None:
    """`description (unit)`, as Dagster's column schema and the docs show a column."""
    known = field(name)
    if known is None:
        return None
    return f"{known.description} ({known.unit})" if known.unit else known.description
