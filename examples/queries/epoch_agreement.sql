-- the figure `default` uses against Epoch AI's own compute estimate, for the Epoch language models whose row
-- gives an estimate, a parameter count and a dataset size (the inputs a 6·N·D formula would be built from)
with epoch as (
    select
        model_id,
        max(value) filter (where quantity = 'training_flops') as epoch_flops,
        bool_or(quantity = 'params_total') as has_params,
        bool_or(quantity = 'training_datapoints') as has_dataset
    from facts
    where source_name = 'epoch_notable_models'
    group by model_id
),

compared as (
    select
        e.model_id,
        m.training_flops,
        e.epoch_flops,
        m.training_flops / e.epoch_flops as ratio,
        m.training_flops_method
    from epoch as e
    join model_comparison as m on m.model_id = e.model_id and m.scenario = 'default'
    where e.epoch_flops is not null and e.has_params and e.has_dataset
)

select
    count(*) as models,
    count(*) filter (where greatest(ratio, 1 / ratio) > 2) as differ_over_2x,
    count(*) filter (where greatest(ratio, 1 / ratio) > 1.01) as differ_at_all,
    string_agg(model_id || ' ' || round(ratio, 2) || 'x (' || training_flops_method || ')', '; ' order by model_id)
        filter (where greatest(ratio, 1 / ratio) > 1.01) as which
from compared
