"""Checks that run inside the step of the asset they check, on the connection that just wrote it.

Each check is still its own check in the UI (name, description, blocking, history), but it is not its own
step: a separate step costs a DuckDB connection and Dagster's per-step bookkeeping each (docs/architecture.md,
*Orchestration*). The price is that re-running a check means re-materialising its asset. A blocking check that
fails still fails the step, so nothing downstream (publishing included) runs on data that broke it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import dagster as dg
import duckdb


@dataclass(frozen=True)
class StepCheck:
    name: str
    description: str
    evaluate: Callable[[duckdb.DuckDBPyConnection], dg.AssetCheckResult]
    blocking: bool = False

    def spec(self, asset: dg.AssetKey) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=asset, description=self.description, blocking=self.blocking)


def specs(asset: dg.AssetKey, checks: list[StepCheck]) -> list[dg.AssetCheckSpec]:
    return [check.spec(asset) for check in checks]


def evaluate(con: duckdb.DuckDBPyConnection, asset: dg.AssetKey, checks: list[StepCheck]) -> list[dg.AssetCheckResult]:
    """Every check's result, named for its asset (a check that raises fails the step, as a check step would)."""
    results = []
    for check in checks:
        result = check.evaluate(con)
        results.append(
            dg.AssetCheckResult(
                asset_key=asset,
                check_name=check.name,
                passed=result.passed,
                severity=result.severity,
                metadata=result.metadata,
                description=result.description,
            )
        )
    return results


LISTED = 200  # rows a check lists in its metadata; its counts are always whole, so the event log stays small at any size


def count_and_first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None, limit: int = LISTED) -> tuple[int, list[tuple]]:
    """How many rows `sql` returns, and the first `limit` of them."""
    count = con.execute(f"select count(*) from ({sql})", params or []).fetchall()[0][0]
    return count, con.execute(f"{sql} limit {int(limit)}", params or []).fetchall()


def summary(parts: list[str]) -> str | None:
    """A failed check's one-line reason (the run's closing summary prints it), from the parts that apply."""
    return "; ".join(p for p in parts if p) or None
