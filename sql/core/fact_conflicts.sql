-- quantities for which one model has more than one distinct value, with every value side by side
with facts as (
    select * from core.facts
),

spread as (
    select
        model_id,
        quantity,
        coalesce(accelerator_id, '') as accelerator_key,
        count(distinct value) as distinct_values,
        min(value) as min_value,
        max(value) as max_value
    from facts
    group by all
    having count(distinct value) > 1
)

select
    s.model_id,
    s.quantity,
    nullif(s.accelerator_key, '') as accelerator_id,
    s.distinct_values,
    s.min_value,
    s.max_value,
    s.max_value / s.min_value as max_ratio,
    string_agg(format('{} ({}, {})', f.value, f.kind, f.source), ' | ' order by f.value) as values_with_sources
from spread as s
join facts as f
  on f.model_id = s.model_id and f.quantity = s.quantity and coalesce(f.accelerator_id, '') = s.accelerator_key
group by all
order by max_ratio desc
