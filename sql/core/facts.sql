-- every input number in one long table: card facts, benchmark scores and the paper's printed values
with card_facts as (
    select
        model_id, quantity, value, unit, kind, source, url, accelerator_id, basis, scope, note, as_of,
        'card:' || card_path as origin
    from staging.stg_model_facts
),

scores as (
    select
        scores.model_id,
        coalesce(scores.benchmark_id, 'unmapped:' || scores.dataset_name) || '_score' as quantity,
        scores.score_pct as value,
        'percent' as unit,
        -- model-index has no kind; a score whose source is the paper is the paper's printed figure
        case when scores.url like '%arxiv.org/abs/2602.20164%' then 'published' else 'reported' end as kind,
        scores.source, scores.url,
        null as accelerator_id, null as basis, null as scope, scores.metric_type as note, cards.as_of,
        'card:' || scores.card_path as origin
    from staging.stg_benchmark_scores as scores
    left join staging.stg_models as cards using (model_id)
),

paper_table1 as (
    select model_id, quantity, value, unit,
        'published' as kind,
        'Wani et al. 2026 (arXiv:2602.20164), Table 1 as printed: ' || printed as source,
        'https://arxiv.org/abs/2602.20164' as url,
        accelerator_id, null as basis, null as scope, null as note, '2026-02' as as_of,
        'paper_table1' as origin
    from (
        select model_id, 'training_flops' as quantity, training_flops as value, 'FLOP' as unit,
               training_flops_printed as printed, null as accelerator_id from staging.stg_paper_table1
        union all
        select model_id, 'gpu_hours', gpu_hours_h100, 'GPU-hours', gpu_hours_h100_printed, 'h100_sxm' from staging.stg_paper_table1
        union all
        select model_id, 'tco2e', tco2e, 'tCO2e', tco2e_printed, null from staging.stg_paper_table1
        union all
        select model_id, 'gpqa_diamond_score', gpqa_diamond, 'percent', cast(gpqa_diamond as varchar), null from staging.stg_paper_table1
        union all
        select model_id, 'aime_2024_score', aime_2024, 'percent', cast(aime_2024 as varchar), null from staging.stg_paper_table1
    )
    where model_id is not null
)

select * from card_facts
union all by name
select * from scores
union all by name
select * from paper_table1
