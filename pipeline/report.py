"""The HTML report people open: comparison tables, charts and assumptions in one offline page."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import jinja2
import polars as pl

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # model names come from untrusted cards
    undefined=jinja2.StrictUndefined,
)


def fmt_number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-2:
        return f"{value:.{digits - 1}e}"
    return f"{value:,.{max(digits - len(str(int(abs(value)))), 0)}f}" if abs(value) >= 1 else f"{value:.{digits}g}"


_ENV.filters["num"] = fmt_number


def render_report(models: pl.DataFrame, hardware: pl.DataFrame, scenarios: pl.DataFrame,
                  chart_svgs: dict[str, str], output: Path) -> Path:
    """Write `output` (index.html) from the marts; SVG charts are inlined so the page needs no network."""
    output.parent.mkdir(parents=True, exist_ok=True)
    html = _ENV.get_template("report.html.j2").render(
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        scenarios=scenarios.to_dicts(),
        models_by_scenario={s: models.filter(pl.col("scenario") == s).to_dicts() for s in scenarios["scenario"]},
        hardware_by_scenario={s: hardware.filter(pl.col("scenario") == s).to_dicts() for s in scenarios["scenario"]},
        charts=chart_svgs,
    )
    output.write_text(html)
    return output
