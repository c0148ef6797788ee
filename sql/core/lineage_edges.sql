-- the model graph: each model's base model and distillation teacher, resolved to model ids
with models as (
    select * from core.model_profiles
),

edges as (
    select model_id as child_id, base_model_id as parent_id, 'base' as relation, base_model as parent_as_written
    from models where base_model is not null
    union all
    select model_id, teacher_id, 'teacher', teacher
    from models where teacher is not null
)

select child_id, parent_id, relation, parent_as_written, parent_id is not null as resolved
from edges
