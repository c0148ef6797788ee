-- every training fact from the cards, with its unit, kind and source
with facts as (
    select * from validated.model_facts
)

select
    model_id,
    quantity,
    value,
    unit,
    kind,
    source,
    url,
    nullif(accelerator, '') as accelerator_id,
    basis,
    coalesce(scope, 'marginal') as scope,
    note,
    as_of,
    card_path
from facts
