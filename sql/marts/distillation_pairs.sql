-- each distilled model beside its vanilla counterpart (its base model): the paper's marginal view
-- and the lineage view of compute, gpu-hours, emissions and the score each distillation gained, and how the
-- pair was identified (the student's evidence of distillation; the vanilla side is always its base model)
with comparison as (
    select * from marts.model_comparison
),

bases as (
    select child_id, parent_id from core.lineage_edges where relation = 'base' and resolved
)

select
    s.scenario,
    s.model_id as student_id,
    s.model as student,
    v.model_id as vanilla_id,
    v.model as vanilla,
    s.teacher as teacher_id,
    s.model_type_basis as student_identified_by,
    'base model of the student (' || s.base_model || ')' as vanilla_identified_by,
    s.marginal_flops is not null and v.training_flops is not null as both_costed,
    s.params_used as student_params,
    s.training_flops_formula as student_flops_formula,
    s.teacher_flops,
    s.student_flops,
    s.marginal_flops as student_marginal_flops,
    s.lineage_flops as student_lineage_flops,
    s.lineage_flops_with_teacher_share as student_lineage_flops_with_teacher_share,
    v.training_flops as vanilla_training_flops,
    v.lineage_flops as vanilla_lineage_flops,
    v.training_flops / s.marginal_flops as marginal_multiplier,
    v.lineage_flops / s.lineage_flops as lineage_multiplier,
    v.lineage_flops / s.lineage_flops_with_teacher_share as lineage_multiplier_with_teacher_share,
    s.accelerator_id,
    s.gpu_hours as student_gpu_hours,
    v.gpu_hours as vanilla_gpu_hours,
    v.gpu_hours / s.gpu_hours as gpu_hours_multiplier,
    s.tco2e as student_tco2e,
    v.tco2e as vanilla_tco2e,
    s.cost_usd as student_cost_usd,
    v.cost_usd as vanilla_cost_usd,
    s.gpqa_diamond as student_gpqa_diamond,
    v.gpqa_diamond as vanilla_gpqa_diamond,
    s.gpqa_diamond - v.gpqa_diamond as gpqa_diamond_gain,
    s.aime_2024 as student_aime_2024,
    v.aime_2024 as vanilla_aime_2024,
    s.aime_2024 - v.aime_2024 as aime_2024_gain
from comparison as s
join bases as b on b.child_id = s.model_id
join comparison as v on v.model_id = b.parent_id and v.scenario = s.scenario
where s.model_type = 'Distilled'
order by s.scenario, s.params_used, s.model_id
