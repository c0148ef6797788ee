"""Core: entity resolution — one canonical id per model across every source."""

from __future__ import annotations

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets import checks
from assets.metadata import markdown_table, table_metadata
from assets.resources import LedgerPaths
from pipeline import warehouse
from pipeline.resolution import RESOLUTION_SOURCE, resolve

CORE = "core"


@dg.asset(key=["ref", "model_aliases"], group_name="reference", kinds={"duckdb"}, pool="duckdb_writer")
def model_aliases(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Alias table (`data/model_aliases.csv`): names sources use for a model, mapped to its canonical id."""
    frame = pl.read_csv(ledger.data / "model_aliases.csv", infer_schema=False)
    with warehouse_db.get_connection() as con:
        warehouse.write_table(con, "ref", "model_aliases", frame)
        return dg.MaterializeResult(metadata=table_metadata(con, "ref", "model_aliases"))


MENTIONS_SQL = """
    select source_name, model_name, tbl as tables, sum(n)::bigint as rows from (
        select source_name, model_name, 'model_facts' as tbl, count(*) as n from validated.model_facts group by all
        union all
        select source_name, model_name, 'benchmark_results', count(*) from validated.benchmark_results group by all
        union all
        select source_name, model_name, 'paper_table1', count(*) from validated.paper_table1 group by all
    ) group by all order by all
"""


UNMATCHED_MODELS = dg.AssetKey(["ops", "unmatched_models"])


def match_rates(resolution: pl.DataFrame, unmatched: pl.DataFrame) -> dict:
    """How many (source, name as written) found a model, overall and source by source (`outcome` of each name;
    a name that matched nothing counts as unmatched)."""
    named = pl.concat([resolution.select("source_name", "outcome"), unmatched.select("source_name", pl.lit("unmatched").alias("outcome"))])
    by_source = named.group_by("source_name", "outcome").len().sort("source_name", "outcome")
    total = named.height
    share = lambda outcomes: round(named.filter(pl.col("outcome").is_in(outcomes)).height / total, 4) if total else 1.0  # noqa: E731
    # match_rate: names that reach a model (found one, or made their own); cross_source_match_rate: names that found a
    # model another record made
    return {
        "names": total,
        "match_rate": share(["matched", "new model"]),
        "cross_source_match_rate": share(["matched"]),
        "outcomes_by_source": dg.MetadataValue.md(
            markdown_table(by_source.pivot(on="outcome", index="source_name", values="len").fill_null(0))
        ),
    }


def _every_name_resolved(con) -> dg.AssetCheckResult:
    count, rows = checks.count_and_first(con, "select source_name, model_name, rows, suggestion from ops.unmatched_models order by 1, 2")
    # One row per (source, name, table the name appears in): a name is counted once.
    by_source = con.execute(
        "select source_name, count(distinct model_name) from ops.unmatched_models group by 1 order by 2 desc, 1"
    ).fetchall()
    return dg.AssetCheckResult(
        passed=not count,
        severity=dg.AssetCheckSeverity.WARN,
        description=checks.summary(
            [
                f"{sum(n for _, n in by_source)} name(s) match no model ("
                + ", ".join(f"{s} {n}" for s, n in by_source)
                + "); their scores are kept with a null model id: select * from unmatched_models"
                if count
                else ""
            ]
        ),
        metadata={"unmatched": count, "names": dg.MetadataValue.json([[str(v) for v in r] for r in rows])},
    )


def _no_claim_refused(con) -> dg.AssetCheckResult:
    count, rows = checks.count_and_first(
        con, "select record_id, reason from ops.quarantine where source_name = ? order by 1, 2", [RESOLUTION_SOURCE]
    )
    return dg.AssetCheckResult(
        passed=not count,
        severity=dg.AssetCheckSeverity.WARN,
        description=checks.summary([f"{count} name claim(s) refused, first: {rows[0][0]}: {rows[0][1]}" if count else ""]),
        metadata={"refused": count, "claims": dg.MetadataValue.json([list(r) for r in rows])},
    )


RESOLUTION_CHECKS = [
    checks.StepCheck("every_name_resolved", "Every model name used by a source resolved to a model.", _every_name_resolved),
    checks.StepCheck("no_claim_refused", "No record declared another model's name as its alias.", _no_claim_refused),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["core", "models"],
            group_name=CORE,
            kinds={"python", "duckdb"},
            deps=[dg.AssetKey(["validated", t]) for t in ("models", "model_facts", "benchmark_results", "paper_table1")]
            + [dg.AssetKey(["ref", "model_aliases"])],
            description="One row per canonical model: the first record of it in catalogue order, with every source that mentions it.",
        ),
        dg.AssetSpec(
            ["core", "name_resolution"],
            group_name=CORE,
            kinds={"python", "duckdb"},
            deps=[dg.AssetKey(["validated", "models"])],
            description="Every (source, name as written) and the canonical model id it resolves to, with how.",
        ),
        dg.AssetSpec(
            ["ops", "unmatched_models"],
            group_name=CORE,
            kinds={"python", "duckdb"},
            deps=[dg.AssetKey(["validated", "models"])],
            description="Names used by facts, scores or tables that match no model: listed with a suggestion, never dropped.",
        ),
    ],
    check_specs=checks.specs(UNMATCHED_MODELS, RESOLUTION_CHECKS),
    pool="duckdb_writer",
)
def model_resolution(ledger: LedgerPaths, warehouse_db: DuckDBResource):
    """Entity resolution across sources through names, Hub ids, suffix-stripped versions and the alias table."""
    catalogue = ledger.catalogue()
    order = [s.name for s in catalogue]
    annotating = {s.name for s in catalogue if s.spec.annotates}
    organizations = pl.read_csv(ledger.data / "reference" / "organizations.csv", infer_schema=False)
    with warehouse_db.get_connection() as con:
        result = resolve(
            warehouse.read_table(con, "validated", "models"),
            warehouse.query_frame(con, MENTIONS_SQL),
            warehouse.read_table(con, "ref", "model_aliases"),
            order,
            annotating,
            dict(organizations.select("hub_org", "organization").iter_rows()),
        )
        warehouse.write_table(con, "core", "models", result["models"])
        warehouse.write_table(con, "core", "name_resolution", result["resolution"])
        warehouse.write_table(con, "ops", "unmatched_models", result["unmatched"])
        warehouse.replace_quarantine(con, RESOLUTION_SOURCE, result["refused"])
        yield dg.MaterializeResult(
            asset_key=["core", "models"],
            metadata=table_metadata(
                con, "core", "models", preview_columns=["model_id", "model_name", "sources", "base_model_id", "teacher_id"]
            ),
        )
        yield dg.MaterializeResult(
            asset_key=["core", "name_resolution"],
            metadata={**table_metadata(con, "core", "name_resolution"), **match_rates(result["resolution"], result["unmatched"])},
        )
        yield dg.MaterializeResult(
            asset_key=UNMATCHED_MODELS,
            metadata={"dagster/row_count": result["unmatched"].height, "preview": dg.MetadataValue.md(markdown_table(result["unmatched"]))},
            check_results=checks.evaluate(con, UNMATCHED_MODELS, RESOLUTION_CHECKS),
        )


core_python_assets = [model_aliases, model_resolution]
