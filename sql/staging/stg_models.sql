-- one row per model, from the validated model cards
with cards as (
    select * from validated.model_cards
)

select
    model_id,
    name as model,
    model_type,
    method,
    organization,
    nullif(base_model, '') as base_model,
    nullif(teacher, '') as teacher,
    license,
    aliases,
    as_of,
    card_path,
    card_sha256
from cards
