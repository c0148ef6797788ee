-- one row per canonical model: display name, type (with how it was decided), method, base model and teacher
with models as (
    select * from core.models
)

select
    model_id,
    coalesce(nullif(split_part(aliases, '|', 1), ''), model_name) as model,
    organization,
    coalesce(model_type, case when distilled then 'Distilled' else 'Vanilla' end) as model_type,
    case
        when model_type is not null then 'stated by ' || source_name
        when distilled then 'distilled: ' || distilled_basis
        else 'default for a model with no type stated (' || coalesce(distilled_basis, 'no evidence') || ')'
    end as model_type_basis,
    coalesce(method, case when distilled then 'distillation' else 'external' end) as method,
    base_model,
    base_model_id,
    teacher,
    teacher_id,
    license,
    distilled,
    distilled_basis,
    sources,
    as_of
from models
