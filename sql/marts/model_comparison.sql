-- one row per (scenario, model): training compute (marginal and lineage), gpu-hours, energy, emissions, cost
-- and inference cost on the scenario's comparison accelerator, scores, the kind and source of every number,
-- reconciliation flags, and the paper's printed table 1 values beside them
with comparison_accelerators as (
    select * from costs.scenario_accelerators where accelerator_id = comparison_accelerator
),

comparison_costs as (
    select c.* from costs.model_costs as c
    join comparison_accelerators as a on a.scenario = c.scenario and a.accelerator_id = c.accelerator_id
),

training as (
    select * from costs.model_flops
),

models as (
    select * from core.model_profiles
),

lineage as (
    select * from costs.lineage
),

scenarios as (
    select scenario, string_split(score_precedence, '|') as score_kinds from staging.stg_scenarios
),

ranked_scores as (
    -- one score per scenario, model and benchmark: of the kind the scenario prefers (`score_precedence`), then from
    -- the source listed first in the catalogue, and within it the run at the model's default setting (no setting
    -- named, else `medium`, the default reasoning effort), then the newest; never the best of several
    select s.scenario, b.*, row_number() over (
        partition by s.scenario, b.model_id, b.benchmark_id
        order by coalesce(list_position(s.score_kinds, b.kind), 99) asc, b.source_rank asc, b.source_name asc,
                 case when b.setting is null then 0 when lower(b.setting) = 'medium' then 1 else 2 end asc,
                 b.as_of desc nulls last, b.score_pct desc) as pick
    from core.benchmark_scores as b
    cross join scenarios as s
    where b.benchmark_id in ('gpqa_diamond', 'aime_2024') and b.score_pct is not null and b.model_id is not null
),

scores as (
    select
        scenario,
        model_id,
        max(score_pct) filter (where benchmark_id = 'gpqa_diamond') as gpqa_diamond,
        max(source) filter (where benchmark_id = 'gpqa_diamond') as gpqa_diamond_source,
        max(score_pct) filter (where benchmark_id = 'aime_2024') as aime_2024,
        max(source) filter (where benchmark_id = 'aime_2024') as aime_2024_source
    from ranked_scores
    where pick = 1
    group by scenario, model_id
),

flags as (
    select scenario, model_id, string_agg(description, '; ' order by quantity, description) as reconciliation_flags
    from costs.reconciliation
    where flagged
    group by all
),

paper as (
    -- the first published table-1 row for each model
    select * from core.paper_table1 where model_id is not null
    qualify row_number() over (partition by model_id order by source_name, row_number) = 1
),

compared as (
    select
        c.scenario,
        c.model_id,
        m.model,
        m.model_type,
        m.organization,
        m.as_of as model_as_of,
        t.method,
        t.params_total,
        t.params_active,
        t.params_used,
        m.model_type_basis,
        m.base_model,
        l.parent_id as base_model_id,
        t.teacher,
        t.training_tokens,
        t.distillation_tokens,
        t.teacher_flops,
        t.student_flops,
        c.training_flops,
        t.training_flops_formula,
        t.training_flops_kind,
        t.training_flops_source,
        t.training_flops_scope,
        t.training_flops_method,
        t.training_flops_confidence,
        t.training_flops_low,
        t.training_flops_high,
        l.marginal_flops,
        l.lineage_flops,
        l.lineage_flops_with_teacher_share,
        l.lineage_path,
        c.accelerator_id,
        h.peak_flops_per_s,
        h.mfu,
        c.gpu_hours,
        c.gpu_hours_kind,
        c.gpu_hours_source,
        c.gpu_hours_computed,
        c.gpu_hours_low,
        c.gpu_hours_high,
        c.energy_mwh,
        c.energy_mwh_low,
        c.energy_mwh_high,
        c.tco2e,
        c.tco2e_kind,
        c.tco2e_source,
        c.tco2e_computed,
        c.tco2e_low,
        c.tco2e_high,
        h.usd_per_gpu_hour,
        c.cost_usd,
        c.cost_usd_low,
        c.cost_usd_high,
        t.inference_flops_per_token,
        c.gpu_seconds_per_million_tokens,
        c.energy_kwh_per_million_tokens,
        c.gco2e_per_million_tokens,
        c.cost_usd_per_million_tokens,
        s.gpqa_diamond,
        s.gpqa_diamond_source,
        s.aime_2024,
        s.aime_2024_source,
        m.sources,
        p.training_flops as paper_training_flops,
        p.gpu_hours_h100 as paper_gpu_hours_h100,
        p.tco2e as paper_tco2e,
        p.gpqa_diamond as paper_gpqa_diamond,
        p.aime_2024 as paper_aime_2024,
        same_at_sig(c.training_flops, p.training_flops, least(p.training_flops_sig_digits, 3)) as training_flops_matches_paper,
        -- the paper's hours are on its accelerator: on another, there is nothing to compare
        case when c.accelerator_id = p.gpu_hours_accelerator_id
            then same_at_sig(c.gpu_hours, p.gpu_hours_h100, least(p.gpu_hours_h100_sig_digits, 3))
        end as gpu_hours_matches_paper,
        same_at_sig(c.tco2e, p.tco2e, least(p.tco2e_sig_digits, 3)) as tco2e_matches_paper,
        (s.gpqa_diamond = p.gpqa_diamond and s.aime_2024 = p.aime_2024) as scores_match_paper,
        f.reconciliation_flags,
        l.lineage_note
    from comparison_costs as c
    join training as t on t.scenario = c.scenario and t.model_id = c.model_id
    join comparison_accelerators as h on h.scenario = c.scenario
    join models as m on m.model_id = c.model_id
    left join lineage as l on l.scenario = c.scenario and l.model_id = c.model_id
    left join scores as s on s.scenario = c.scenario and s.model_id = c.model_id
    left join paper as p on p.model_id = c.model_id
    left join flags as f on f.scenario = c.scenario and f.model_id = c.model_id
)

select
    * exclude (reconciliation_flags, lineage_note),
    concat_ws('; ',
        case when not training_flops_matches_paper then 'training_flops differs from the paper' end,
        case when not gpu_hours_matches_paper then 'gpu_hours differs from the paper' end,
        case when not tco2e_matches_paper then 'tco2e differs from the paper' end,
        case when not scores_match_paper then 'scores differ from the paper' end,
        case when paper_training_flops is null then 'not in the paper''s Table 1' end
    ) as paper_discrepancies,
    concat_ws('; ',
        reconciliation_flags,
        nullif(lineage_note, ''),
        case when cost_usd is null and training_flops is not null then 'no price for this accelerator' end,
        case when training_flops is null then 'training compute unknown: no formula inputs or given figure' end
    ) as flags
from compared
order by scenario asc, training_flops desc nulls last, model_id asc
