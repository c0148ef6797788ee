-- every name a model goes by (id, display name, aliases), normalised for matching published tables
with cards as (
    select model_id, name, aliases from validated.model_cards
),

names as (
    select model_id, model_id as name from cards
    union all
    select model_id, name from cards
    union all
    select model_id, unnest(string_split(aliases, '|')) as name from cards where aliases is not null
)

select distinct
    model_id,
    name,
    regexp_replace(lower(name), '[^a-z0-9]', '', 'g') as name_key
from names
where name <> ''
