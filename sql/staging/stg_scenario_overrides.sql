-- per-scenario accelerator overrides (peak, mfu, price) from the presets and any what-if
with presets as (
    select * from ref.scenario_overrides
),

what_if as (
    select * from ref.what_if_overrides
)

select * from presets
union all by name
select * from what_if
