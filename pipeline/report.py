"""The HTML report people open: comparison tables, charts and assumptions in one offline page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jinja2
import polars as pl

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # model names come from untrusted cards
    undefined=jinja2.StrictUndefined,
)


def fmt_number(value: float | None, digits: int = 3) -> str:
    """Three significant figures, scientific notation outside 0.01-100,000, thousands separators inside."""
    if value is None or value != value:
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-2:
        return f"{value:.{digits - 1}e}"
    if abs(value) >= 1:
        return f"{value:,.{max(digits - len(str(int(abs(value)))), 0)}f}"
    return f"{value:.{digits}g}"


def sort_key(value) -> str:
    """The value a sortable column sorts by (numbers as numbers, text as text)."""
    return "" if value is None else repr(value) if isinstance(value, (int, float)) else str(value)


_ENV.filters["num"] = fmt_number
_ENV.filters["sortkey"] = sort_key


def _footnoted(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Number every row that carries flags or paper discrepancies; return (rows, footnotes)."""
    notes = []
    for row in rows:
        text = "; ".join(t for t in (row.get("paper_discrepancies"), row.get("flags")) if t)
        row["footnote"] = None
        if text:
            notes.append({"number": len(notes) + 1, "model": row["model"], "text": text})
            row["footnote"] = len(notes)
    return rows, notes


def pair_summary(rows: list[dict]) -> dict:
    """How many distillation pairs, how many with compute on both sides, and by what evidence each student was
    found to be distilled (its type's basis up to any note: `Epoch AI distilled-models list: true (high
    confidence)`, `ledger.method = distillation`, `name contains 'distil'`)."""
    by_basis: dict[str, int] = {}
    for row in rows:
        basis = (row.get("student_identified_by") or "no basis recorded").split(";")[0].removeprefix("distilled: ").strip()
        row["identified_by_short"] = basis
        by_basis[basis] = by_basis.get(basis, 0) + 1
    return {
        "pairs": len(rows),
        "both_costed": sum(1 for r in rows if r.get("both_costed")),
        "by_basis": sorted(by_basis.items(), key=lambda item: (-item[1], item[0])),
    }


def coverage(rows: list[dict]) -> dict:
    """How many models a scenario has, how many are costed, scored on GPQA Diamond, and both."""
    costed = [r["training_flops"] is not None for r in rows]
    scored = [r["gpqa_diamond"] is not None for r in rows]
    return {
        "models": len(rows),
        "costed": sum(costed),
        "gpqa": sum(scored),
        "both": sum(c and s for c, s in zip(costed, scored, strict=True)),
    }


def render_report(
    models: pl.DataFrame,
    hardware: pl.DataFrame,
    pairs: pl.DataFrame,
    scenarios: pl.DataFrame,
    sources: pl.DataFrame,
    chart_svgs: dict[str, str],
    output: Path,
) -> Path:
    """Write `output` (index.html) from the marts; charts, styles and the sorting script are inline, so
    the page works from file:// with no network."""
    output.parent.mkdir(parents=True, exist_ok=True)
    names = scenarios["scenario"].to_list()
    models = models.with_columns(year=pl.col("model_as_of").str.slice(0, 4).fill_null(""))
    model_tables = {s: _footnoted(models.filter(pl.col("scenario") == s).to_dicts()) for s in names}
    pairs_by_scenario = {s: pairs.filter(pl.col("scenario") == s).to_dicts() for s in names}
    html = _ENV.get_template("report.html.j2").render(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        scenarios=scenarios.to_dicts(),
        models_by_scenario={s: rows for s, (rows, _) in model_tables.items()},
        footnotes_by_scenario={s: notes for s, (_, notes) in model_tables.items()},
        hardware_by_scenario={s: hardware.filter(pl.col("scenario") == s).to_dicts() for s in names},
        pairs_by_scenario=pairs_by_scenario,
        pair_summaries={s: pair_summary(rows) for s, rows in pairs_by_scenario.items()},
        sources=sources.to_dicts(),
        coverage={s: coverage(rows) for s, (rows, _) in model_tables.items()},
        charts=chart_svgs,
    )
    output.write_text(html)
    return output
