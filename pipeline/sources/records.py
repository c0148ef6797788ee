"""The record shapes every adapter produces: models, facts and benchmark results, plus rejects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from pipeline.quarantine import quarantine_frame, quarantine_row
from pipeline.schemas import BenchmarkResult, ModelFact, ModelRecord, polars_columns

# The record shapes are the pandera models' (pipeline/schemas.py): one definition of each column and its type.
MODEL_COLUMNS = polars_columns(ModelRecord)
FACT_COLUMNS = polars_columns(ModelFact)
BENCHMARK_COLUMNS = polars_columns(BenchmarkResult)


@dataclass
class Batch:
    source_name: str
    models: list[dict] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    benchmarks: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    skipped: int = 0  # rows left out on purpose by a documented filter (counted, not silent)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # rows of a table of its own (a paper table), by name

    def reject(self, record_id: str, reason: str, *, check: str, raw: str = "", column: str = "") -> None:
        self.rejects.append(quarantine_row(self.source_name, record_id, reason, raw_content=raw, column_name=column, check_name=check))

    def _row(self, columns: dict, values: dict) -> dict:
        unknown = set(values) - set(columns)
        if unknown:  # a misspelt keyword is a bug in an adapter, not a value to drop
            raise TypeError(f"unknown record fields {sorted(unknown)}")
        row = {}
        for column, dtype in columns.items():
            value = values.get(column)
            # the common case first: the value already has its column's type (text trimmed, empty text is none)
            if value is None or (type(value) is _PYTHON_TYPES[dtype] and not (type(value) is str and "\ufffd" in value)):
                row[column] = (value.strip() or None) if type(value) is str else value
            else:
                row[column] = self._coerce(column, dtype, value, values.get("record_id") or "*")
            if type(row[column]) is str and len(row[column]) > MAX_FIELD_CHARS:
                self.reject(
                    values.get("record_id") or "*",
                    f"field `{column}`: {len(row[column]):,} characters, over the {MAX_FIELD_CHARS:,}-character limit for one field",
                    check="field_size",
                    column=column,
                    raw=row[column][:2000],
                )
                row[column] = None
        return row | {"source_name": self.source_name}

    def _coerce(self, column: str, dtype, value, record_id: str):
        """`value` as its column's type. A list where text is expected (aliases, tags) is kept as `|`-separated
        text and a number as its digits; a value of another shape (a mapping, a boolean for text, text that is no
        number) is set to null, and a quarantine row names the field, the type expected and what was found."""
        if isinstance(value, str) and "\ufffd" in value:  # bytes that were not UTF-8 where the row was read
            self.reject(
                record_id,
                f"field `{column}`: bytes that are not UTF-8 text in {value[:80]!r}",
                check="utf8",
                column=column,
                raw=value[:2000],
            )
            return None
        if dtype == pl.Utf8 and not isinstance(value, (bool, dict)):
            return text(value)
        if dtype == pl.Float64 and not isinstance(value, (bool, dict, list, tuple)):
            result = number(value)
            if result is not None:
                return result
        if dtype == pl.Int64 and not isinstance(value, bool) and isinstance(value, (int, float)) and float(value).is_integer():
            return int(value)
        self.reject(
            record_id,
            f"field `{column}`: expected {_TYPE_NAMES[dtype]}, found {describe(value)}",
            check="field_type",
            column=column,
            raw=repr(value)[:2000],
        )
        return None

    def _add(self, rows: list, columns: dict, values: dict) -> None:
        """A record whose name was refused (bytes that were not text) names nothing: its field's reject says why."""
        row = self._row(columns, values)
        if row["model_name"] is not None or values.get("model_name") is None:
            rows.append(row)

    def model(self, **values) -> None:
        self._add(self.models, MODEL_COLUMNS, values)

    def fact(self, **values) -> None:
        self._add(self.facts, FACT_COLUMNS, values)

    def benchmark(self, **values) -> None:
        self._add(self.benchmarks, BENCHMARK_COLUMNS, values)

    def extend(self, other: Batch) -> None:
        self.models += other.models
        self.facts += other.facts
        self.benchmarks += other.benchmarks
        self.rejects += other.rejects
        self.skipped += other.skipped
        for name, rows in other.tables.items():
            self.tables[name] = pl.concat([self.tables[name], rows]) if name in self.tables else rows

    def record_count(self) -> int:
        return len(self.models) + len(self.facts) + len(self.benchmarks) + sum(t.height for t in self.tables.values())

    def frames(self) -> dict[str, pl.DataFrame]:
        return {
            "models": pl.DataFrame(self.models, schema=MODEL_COLUMNS),
            "facts": pl.DataFrame(self.facts, schema=FACT_COLUMNS),
            "benchmarks": pl.DataFrame(self.benchmarks, schema=BENCHMARK_COLUMNS),
            "rejects": quarantine_frame(self.rejects),
        } | self.tables


def unreadable(source_name: str, record_id: str, reason: str) -> Batch:
    """A Batch holding only the quarantine row of an input none of whose records could be read."""
    batch = Batch(source_name)
    batch.reject(record_id, reason, check="unreadable")
    return batch


# One field of one record (a name, a list of aliases, a note): past this it is an attack or a mistake, and kept it
# would be copied into every row that carries the model (a small file could grow the outputs a thousandfold).
MAX_FIELD_CHARS = 10_000
_PYTHON_TYPES = {pl.Utf8: str, pl.Float64: float, pl.Int64: int, pl.Boolean: bool}
_TYPE_NAMES = {pl.Utf8: "text", pl.Float64: "a number", pl.Int64: "a whole number", pl.Boolean: "true or false"}


def describe(value) -> str:
    """What a value is, for a reason a person reads: its shape and the start of it."""
    if isinstance(value, bool):
        return f"the boolean {value} (YAML reads an unquoted yes/no/on/off as one: quote it)"
    kind = (
        "a mapping"
        if isinstance(value, dict)
        else "a list"
        if isinstance(value, (list, tuple))
        else "a number"
        if isinstance(value, (int, float))
        else "text"
        if isinstance(value, str)
        else type(value).__name__
    )
    return f"{kind} {repr(value)[:80]}"


def text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return "|".join(str(v).strip() for v in value if v is not None and str(v).strip()) or None
    value = str(value).strip()
    return value or None


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?([eE][-+]?\d+)?$")


def number(value) -> float | None:
    """A finite float from a number or numeric text (YAML 1.1 reads 8.0e9 as text); None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if _THOUSANDS.match(value):  # 1,234,567 or 1,234.5; "1,5" is no number (a decimal comma, or two values)
            value = value.replace(",", "")
        if not value:
            return None
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return result  # NaN and Infinity go on to validation, which rejects them with a reason


# Metrics that are not a share of questions answered right, whatever their value: never read as a fraction or percent.
UNBOUNDED_METRICS = ("perplexity", "ppl", "bits_per_byte", "bpb", "loss", "elo", "rating")


def is_unbounded_metric(metric: str | None) -> bool:
    return any(word in (metric or "").lower() for word in UNBOUNDED_METRICS)


def to_percent(score: float | None, scale: str) -> float | None:
    if score is None:
        return None
    return score * 100.0 if scale == "fraction" else score if scale == "percent" else None


_DISTILL_NAME = re.compile(r"distil", re.IGNORECASE)


def distillation_decision(*, declared_method: str | None, tags: list[str], names: list[str], body: str) -> tuple[bool | None, str]:
    """Is this model distilled, and on what evidence? The Hub has no `distillation` base_model_relation.
    Without evidence either way the answer is None (unknown), so that another source's judgement (Epoch AI's
    distilled-models list) can still decide it."""
    if declared_method:
        return declared_method == "distillation", f"ledger.method = {declared_method}"
    tag = next((t for t in tags if _DISTILL_NAME.search(t)), None)
    if tag:
        return True, f"tag {tag!r}"
    name = next((n for n in names if n and _DISTILL_NAME.search(n)), None)
    if name:
        return True, f"name {name!r} contains 'distil'"
    if re.search(r"\bdistill", body or "", re.IGNORECASE):
        # Prose is weak evidence: DeepSeek-V3's card describes distilling R1 into V3's post-training.
        return None, "card text mentions distillation, which alone does not decide it"
    return None, "no evidence of distillation in metadata, tags, name or text"
