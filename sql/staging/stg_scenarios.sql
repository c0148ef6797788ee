-- every scenario to compute: the presets plus any what-if launched from the ui, with its grid intensity
with presets as (
    select * from ref.scenarios
),

what_if as (
    select * from ref.what_if_scenarios
),

all_scenarios as (
    select *, 'preset' as scenario_origin from presets
    union all by name
    select *, 'what-if' as scenario_origin from what_if
),

grid as (
    select region_id, name as grid_region_name, gco2e_per_kwh, year as grid_year, source as grid_source
    from ref.grid_intensity
),

-- `fact_sources` names sources, or the file or folder a source reads (`data/model_cards`), so it holds
-- whatever the catalogue calls them; null reads every source
source_lists as (
    select s.scenario, string_agg(c.name, '|' order by c.position) as fact_sources
    from all_scenarios as s
    cross join unnest(string_split(s.fact_sources, '|')) as wanted (item)
    join ref.sources as c on c.name = wanted.item or ends_with(c.path, '/' || wanted.item)
    where s.fact_sources is not null
    group by s.scenario
)

select
    s.scenario,
    s.scenario_origin,
    s.description,
    s.comparison_accelerator,
    s.grid_region,
    g.grid_region_name,
    coalesce(s.grid_tco2e_per_mwh, g.gco2e_per_kwh / 1000) as grid_tco2e_per_mwh,
    case when s.grid_tco2e_per_mwh is not null then 'scenario override' else g.grid_source end as grid_source,
    g.grid_year,
    s.pue,
    s.moe_params,
    s.fact_precedence,
    coalesce(s.score_precedence, s.fact_precedence) as score_precedence,
    s.flops_method_precedence,
    s.inference_mfu,
    case when s.fact_sources is not null then coalesce(l.fact_sources, '') end as fact_sources
from all_scenarios as s
left join grid as g on g.region_id = s.grid_region
left join source_lists as l on l.scenario = s.scenario
