-- the model graph: each model's base model and distillation teacher, resolved to model ids
with models as (
    select model_id, base_model, teacher from staging.stg_models
),

names as (
    select distinct model_id, name_key from staging.stg_model_names
),

base_edges as (
    select
        m.model_id as child_id,
        trim(unnest(string_split(m.base_model, '|'))) as parent_as_written,
        'base' as relation
    from models as m
    where m.base_model is not null
),

teacher_edges as (
    select model_id as child_id, teacher as parent_as_written, 'teacher' as relation
    from models
    where teacher is not null
),

edges as (
    select * from base_edges
    union all
    select * from teacher_edges
)

select
    e.child_id,
    n.model_id as parent_id,
    e.relation,
    e.parent_as_written,
    n.model_id is not null as resolved
from edges as e
left join names as n on n.name_key = regexp_replace(lower(e.parent_as_written), '[^a-z0-9]', '', 'g')
