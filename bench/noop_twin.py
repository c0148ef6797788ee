"""The project's asset graph with every body emptied: the same assets, dependencies and checks in the same
steps (a multi-asset stays one step), run the same way (`python -m assets.run --module
bench.noop_twin`), so its wall time is Dagster's own cost for this graph — start-up, planning, events and
bookkeeping — with none of the pipeline's work."""

from __future__ import annotations

import graphlib

import dagster as dg

import assets.definitions


def _noop_step(real: dg.AssetsDefinition) -> dg.AssetsDefinition:
    # Checks inside the asset's step, as the real graph runs them (assets/checks.py).
    specs = [dg.AssetSpec(spec.key, deps=[dep.asset_key for dep in spec.deps]) for spec in real.specs]
    check_specs = [dg.AssetCheckSpec(spec.name, asset=spec.asset_key) for spec in real.check_specs]
    # A multi-asset yields an asset after the ones of the same step it depends on.
    order = list(
        graphlib.TopologicalSorter(
            {spec.key: [d.asset_key for d in spec.deps if d.asset_key in real.keys] for spec in real.specs}
        ).static_order()
    )

    @dg.multi_asset(name=real.node_def.name, specs=specs, check_specs=check_specs, can_subset=real.can_subset)
    def _step(context):
        for key in [key for key in order if key in context.selected_asset_keys]:
            yield dg.MaterializeResult(
                asset_key=key,
                check_results=[
                    dg.AssetCheckResult(asset_key=key, check_name=check.name, passed=True)
                    for check in sorted(context.selected_asset_check_keys)
                    if check.asset_key == key
                ],
            )

    return _step


def build() -> dg.Definitions:
    return dg.Definitions(assets=[_noop_step(real) for real in assets.definitions.defs().assets], executor=dg.in_process_executor)


@dg.definitions
def defs() -> dg.Definitions:
    return build()
