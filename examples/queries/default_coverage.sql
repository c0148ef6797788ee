-- how much of the embedded default each scenario covers: models, costed models, models with a GPQA Diamond score
select
    scenario,
    count(*) as models,
    count(cost_usd) as costed_models,
    count(gpqa_diamond) as models_with_gpqa_diamond,
    count(*) filter (where gpqa_diamond is not null and training_flops is not null) as models_with_both
from model_comparison
group by scenario
order by scenario
