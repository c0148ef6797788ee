-- every validated fact as its source wrote it, with the accelerator mapped to a catalogue id where it names exactly one
with facts as (
    select * from validated.model_facts
),

accelerator_names as (
    select
        accelerator_id,
        regexp_replace(lower(trim(unnest(string_split(aliases || '|' || accelerator_id, '|')))), '[^a-z0-9]', '', 'g') as alias_key
    from ref.accelerators
),

facts_keyed as (
    select row_number() over () as fact_row, *, regexp_replace(lower(coalesce(accelerator, '')), '[^a-z0-9]', '', 'g') as accelerator_key
    from facts
),

accelerator_matches as (
    select f.fact_row, min(a.accelerator_id) as accelerator_id, count(distinct a.accelerator_id) as matches
    from facts_keyed as f
    join accelerator_names as a on a.alias_key <> '' and f.accelerator_key <> '' and contains(f.accelerator_key, a.alias_key)
    group by f.fact_row
)

select
    f.source_name,
    f.record_id,
    f.model_name,
    f.quantity,
    f.value,
    f.unit,
    f.kind,
    f.source,
    f.url,
    case when m.matches = 1 then m.accelerator_id end as accelerator_id,
    nullif(f.accelerator, '') as accelerator_as_written,
    f.basis,
    coalesce(f.scope, 'marginal') as scope,
    f.note,
    f.as_of,
    f.confidence,
    f.fact_row as source_row
from facts_keyed as f
left join accelerator_matches as m on m.fact_row = f.fact_row
