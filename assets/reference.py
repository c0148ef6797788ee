"""Reference tables: accelerators, scenarios, workloads, benchmarks, grid intensity, prices and the what-if.

No `from __future__ import annotations` here: Dagster resolves the run-config class from the real annotation.
"""

from typing import List, Optional

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.metadata import descriptions_from, table_metadata
from assets.resources import LedgerPaths
from pipeline import schemas, warehouse
from pipeline.sources import reference
from pipeline.validation import split_valid

REFERENCE = "reference"


def _load(con, table: str, frame, schema, id_column: str) -> tuple[dict, dg.DataVersion]:
    """Validate and write `ref.table`; its metadata and a data version from what was written, so re-reading an
    unchanged file triggers nothing downstream."""
    valid, rejects = split_valid(frame, schema, f"ref.{table}", id_column) if schema else (frame, None)
    warehouse.write_table(con, "ref", table, valid)
    if rejects is not None:
        warehouse.replace_quarantine(con, f"ref.{table}", rejects)
    meta = table_metadata(con, "ref", table, descriptions_from(schema))
    meta["quarantined_rows"] = 0 if rejects is None else rejects.height
    return meta, dg.DataVersion(warehouse.content_version(valid))


def _reference_asset(table: str, file_name: str, reader, schema, id_column: str, description: str):
    """One `ref` table read from `data/reference/<file_name>`, validated as it loads."""

    @dg.asset(key=["ref", table], group_name=REFERENCE, kinds={"duckdb"}, pool="duckdb_writer", description=description)
    def _asset(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        frame = reader(ledger.data / "reference" / file_name)
        with warehouse_db.get_connection() as con:
            meta, version = _load(con, table, frame, schema, id_column)
        meta["source_file"] = dg.MetadataValue.path(str(ledger.data / "reference" / file_name))
        return dg.MaterializeResult(metadata=meta, data_version=version)

    return _asset


accelerators = _reference_asset(
    "accelerators",
    "accelerators.csv",
    reference.read_accelerators,
    schemas.Accelerator,
    "accelerator_id",
    "Accelerator catalogue: dense BF16 peak TFLOP/s, TDP and MFU range per accelerator, with datasheet links.",
)
workloads = _reference_asset(
    "workloads",
    "workloads.yaml",
    reference.read_workloads,
    schemas.Workload,
    "workload_id",
    "The paper's §4 workloads (pretraining, distillation, fine-tuning, frontier estimate) as cost-model inputs.",
)
benchmarks = _reference_asset(
    "benchmarks",
    "benchmarks.csv",
    reference.read_benchmarks,
    None,
    "benchmark_id",
    "Benchmark catalogue: canonical ids and the names sources use for them.",
)
grid_intensity = _reference_asset(
    "grid_intensity",
    "grid_intensity.csv",
    reference.read_grid_intensity,
    schemas.GridIntensity,
    "region_id",
    "Grid carbon intensity (gCO2e/kWh, with year and source) by country and major cloud region.",
)
prices = _reference_asset(
    "prices",
    "prices.csv",
    reference.read_prices,
    schemas.Price,
    "accelerator_id",
    "Dated, cited on-demand price ranges per accelerator-hour (USD).",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["ref", "scenarios"],
            kinds={"duckdb"},
            group_name=REFERENCE,
            description="Scenario presets (paper, default, ...): PUE, grid intensity, MoE convention, fact precedence.",
        ),
        dg.AssetSpec(
            ["ref", "scenario_overrides"],
            kinds={"duckdb"},
            group_name=REFERENCE,
            description="Per-scenario overrides of an accelerator's peak FLOP/s or MFU.",
        ),
    ],
    pool="duckdb_writer",
)
def scenarios(ledger: LedgerPaths, warehouse_db: DuckDBResource):
    """Scenario presets from `data/reference/scenarios.yaml`."""
    frames = reference.read_scenarios(ledger.data / "reference" / "scenarios.yaml")
    with warehouse_db.get_connection() as con:
        for table, frame, schema in [
            ("scenarios", frames["scenarios"], schemas.Scenario),
            ("scenario_overrides", frames["overrides"], None),
        ]:
            meta, version = _load(con, table, frame, schema, "scenario")
            yield dg.MaterializeResult(asset_key=["ref", table], metadata=meta, data_version=version)


class WhatIf(dg.Config):
    """Ad-hoc scenarios that last: `enabled: true` adds the what-if `name` (or replaces the one of that name), a
    preset with some assumptions changed; `drop` removes what-ifs by name. With neither, the what-ifs already made
    stay as they are, so an ordinary run keeps them."""

    enabled: bool = False
    name: str = "what_if"
    base_scenario: str = "default"
    accelerator: Optional[str] = None  # the accelerator `mfu` and `price_usd_per_gpu_hour` apply to; all if unset
    comparison_accelerator: Optional[str] = None  # the accelerator model_comparison's GPU-hours, energy and cost are on
    mfu: Optional[float] = None
    price_usd_per_gpu_hour: Optional[float] = None
    grid_region: Optional[str] = None
    grid_tco2e_per_mwh: Optional[float] = None
    pue: Optional[float] = None
    moe_params: Optional[str] = None
    drop: List[str] = []


def _what_if_rows(con, config: WhatIf) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The scenario row and accelerator overrides of the what-if `config` asks for, validated: raises
    `dg.Failure` with the reason before anything is written."""
    presets = [r[0] for r in con.execute("select scenario from ref.scenarios").fetchall()]
    if config.name in presets:
        raise dg.Failure(f"what-if name {config.name!r} is a preset's: choose another name")
    if config.base_scenario not in presets:
        raise dg.Failure(f"what-if base scenario {config.base_scenario!r} is not a preset (presets: {', '.join(presets)})")
    if (
        config.grid_region
        and not con.execute("select count(*) from ref.grid_intensity where region_id = ?", [config.grid_region]).fetchall()[0][0]
    ):
        raise dg.Failure(f"unknown grid region {config.grid_region!r}: see data/reference/grid_intensity.csv")
    accelerators = [r[0] for r in con.execute("select accelerator_id from ref.accelerators order by 1").fetchall()]
    for chosen in (config.accelerator, config.comparison_accelerator):
        if chosen and chosen not in accelerators:
            raise dg.Failure(f"unknown accelerator {chosen!r} (known: {', '.join(accelerators)})")
    for key, value in [("mfu", config.mfu), ("price_usd_per_gpu_hour", config.price_usd_per_gpu_hour)]:
        if value is not None and not (value > 0 and (key != "mfu" or value <= 1)):
            raise dg.Failure(f"what-if {key} must be above 0{' and at most 1' if key == 'mfu' else ''}, not {value}")
    base = warehouse.query_frame(con, "select * from ref.scenarios where scenario = ?", [config.base_scenario])
    row = base.to_dicts()[0]
    row.update(
        scenario=config.name,
        description=f"What-if on `{config.base_scenario}`: "
        + ", ".join(f"{k}={v}" for k, v in config.model_dump().items() if v is not None and k not in ("enabled", "drop")),
    )
    for key in ("grid_region", "grid_tco2e_per_mwh", "pue", "moe_params", "comparison_accelerator"):
        if getattr(config, key) is not None:
            row[key] = getattr(config, key)
    valid, rejects = split_valid(
        pl.DataFrame([row], schema=reference.SCENARIO_COLUMNS), schemas.Scenario, "ref.what_if_scenarios", "scenario"
    )
    if rejects.height:
        raise dg.Failure("the what-if scenario is not valid: " + "; ".join(rejects["reason"].to_list()))
    inherited = {
        r["accelerator_id"]: r
        for r in warehouse.query_frame(con, "select * from ref.scenario_overrides where scenario = ?", [config.base_scenario]).to_dicts()
    }
    targets = [config.accelerator] if config.accelerator else accelerators
    overrides = []
    for accelerator_id in sorted(set(targets) | set(inherited)):
        entry = dict(inherited.get(accelerator_id, {"peak_tflops": None, "mfu": None, "price_usd_per_gpu_hour": None}))
        entry.update(scenario=config.name, accelerator_id=accelerator_id)
        if accelerator_id in targets:
            if config.mfu is not None:
                entry["mfu"] = config.mfu
            if config.price_usd_per_gpu_hour is not None:
                entry["price_usd_per_gpu_hour"] = config.price_usd_per_gpu_hour
        overrides.append(entry)
    return valid, pl.DataFrame(overrides, schema=reference.OVERRIDE_COLUMNS)


def _kept(con, table: str, columns: dict, without: set[str]) -> pl.DataFrame:
    """The what-if rows already in `ref.table`, less those named in `without`."""
    if not warehouse.table_exists(con, "ref", table):
        return pl.DataFrame(schema=columns)
    have = {name for name, _ in warehouse.column_types(con, "ref", table)}
    frame = warehouse.read_table(con, "ref", table)
    frame = frame.with_columns([pl.lit(None, dtype).alias(c) for c, dtype in columns.items() if c not in have])
    return frame.select([pl.col(c).cast(dtype) for c, dtype in columns.items()]).filter(~pl.col("scenario").is_in(list(without)))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["ref", "what_if_scenarios"],
            kinds={"duckdb"},
            group_name=REFERENCE,
            deps=[dg.AssetKey(["ref", "scenarios"]), dg.AssetKey(["ref", "accelerators"]), dg.AssetKey(["ref", "grid_intensity"])],
            description="What-if scenarios launched from the UI with run config; they stay until dropped.",
        ),
        dg.AssetSpec(
            ["ref", "what_if_overrides"],
            kinds={"duckdb"},
            group_name=REFERENCE,
            deps=[dg.AssetKey(["ref", "scenario_overrides"]), dg.AssetKey(["ref", "accelerators"])],
            description="Accelerator overrides of the what-if scenarios.",
        ),
    ],
    pool="duckdb_writer",
)
def what_if_scenario(config: WhatIf, warehouse_db: DuckDBResource):
    """What-if scenarios from run config (MFU, accelerator, region, PUE or price changed on a preset). Everything is
    checked before anything is written: a what-if that fails leaves the earlier ones as they were."""
    with warehouse_db.get_connection() as con:
        known = set()
        if warehouse.table_exists(con, "ref", "what_if_scenarios"):
            known = {r[0] for r in con.execute("select scenario from ref.what_if_scenarios").fetchall()}
        missing = sorted(set(config.drop) - known)
        if missing:
            raise dg.Failure(f"no what-if named {', '.join(map(repr, missing))} to drop (what-ifs: {', '.join(sorted(known)) or 'none'})")
        replaced = set(config.drop) | ({config.name} if config.enabled else set())
        scenarios_frame = _kept(con, "what_if_scenarios", reference.SCENARIO_COLUMNS, replaced)
        overrides_frame = _kept(con, "what_if_overrides", reference.OVERRIDE_COLUMNS, replaced)
        if config.enabled:
            row, overrides = _what_if_rows(con, config)
            scenarios_frame = pl.concat([scenarios_frame, row])
            overrides_frame = pl.concat([overrides_frame, overrides])
        scenarios_frame, overrides_frame = scenarios_frame.sort("scenario"), overrides_frame.sort("scenario", "accelerator_id")
        warehouse.write_table(con, "ref", "what_if_scenarios", scenarios_frame)
        warehouse.write_table(con, "ref", "what_if_overrides", overrides_frame)
        for table, frame, schema in [
            ("what_if_scenarios", scenarios_frame, schemas.Scenario),
            ("what_if_overrides", overrides_frame, None),
        ]:
            meta = table_metadata(con, "ref", table, descriptions_from(schema))
            meta["what_ifs"] = ", ".join(scenarios_frame["scenario"].to_list()) or "none"
            yield dg.MaterializeResult(
                asset_key=["ref", table], metadata=meta, data_version=dg.DataVersion(warehouse.content_version(frame))
            )


@dg.asset(key=["ref", "sources"], group_name=REFERENCE, kinds={"duckdb"}, pool="duckdb_writer")
def sources_catalogue(ledger: LedgerPaths, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """The sources catalogue as a table: name, kind, path, URL, refresh cadence, position (its priority) and, for an
    embedded snapshot, its date, licence, citation and upstream."""
    catalogue = ledger.catalogue()
    frame = pl.DataFrame(
        [
            {
                "name": s.name,
                "kind": s.kind,
                "path": str(s.path) if s.path else None,
                "url": s.url,
                "repo_ids": "|".join(map(str, s.options.get("repo_ids") or [])) or None,
                "refresh": s.refresh,
                "description": s.description,
                "position": i,
                **s.provenance,
            }
            for i, s in enumerate(catalogue)
        ],
        schema={
            "name": pl.Utf8,
            "kind": pl.Utf8,
            "path": pl.Utf8,
            "url": pl.Utf8,
            "repo_ids": pl.Utf8,
            "refresh": pl.Utf8,
            "description": pl.Utf8,
            "position": pl.Int64,
            "snapshot_date": pl.Utf8,
            "licence": pl.Utf8,
            "citation": pl.Utf8,
            "upstream_url": pl.Utf8,
            "sha256": pl.Utf8,
        },
    )
    with warehouse_db.get_connection() as con:
        warehouse.write_table(con, "ref", "sources", frame)
        meta = table_metadata(con, "ref", "sources")
    meta["catalogue_file"] = dg.MetadataValue.path(ledger.sources_file)
    return dg.MaterializeResult(metadata=meta, data_version=dg.DataVersion(warehouse.content_version(frame)))


reference_assets = [sources_catalogue, accelerators, scenarios, workloads, benchmarks, grid_intensity, prices, what_if_scenario]
