-- every input number in one long table: facts from every source, benchmark scores and the paper's
-- printed table-1 values, each with its canonical model id, unit, kind, source, date and the source's
-- confidence; `tie_order` ranks facts of one kind for one model: the newest snapshot first, then the
-- source listed first in the catalogue, then the source's own row order
with catalogue as (
    select name as source_name, position as source_rank, snapshot_date from ref.sources
),

fact_records as (
    select
        r.model_id, f.quantity, f.value, f.unit, f.kind, f.source, f.url, f.accelerator_id, f.basis, f.scope, f.note,
        -- a record without a date of its own is as of its source's snapshot
        coalesce(f.as_of, c.snapshot_date) as as_of,
        f.confidence, f.source_name,
        f.source_name || ':' || f.record_id as origin,
        'fact' as origin_kind,
        row_number() over (
            order by c.snapshot_date desc nulls last, c.source_rank asc nulls last, f.source_name asc, f.source_row asc
        )
            as tie_order
    from staging.stg_fact_records as f
    join core.name_resolution as r on r.source_name = f.source_name and r.model_name = f.model_name
    left join catalogue as c on c.source_name = f.source_name
    where r.model_id is not null
),

scores as (
    select
        s.model_id,
        s.benchmark_id || '_score' as quantity,
        s.score_pct as value,
        'percent' as unit,
        -- a score whose source is the paper is the paper's printed figure
        case when s.url like '%arxiv.org/abs/2602.20164%' then 'published'
             when s.source_name like 'epoch%' or s.source like 'Open LLM%' then 'estimated'
             else 'reported' end as kind,
        coalesce(s.source, s.source_name) as source,
        coalesce(s.url, '') as url,
        null as accelerator_id, null as basis, null as scope, s.metric as note,
        coalesce(s.as_of, m.as_of, c.snapshot_date) as as_of,
        s.source_name,
        s.source_name as origin,
        'benchmark_score' as origin_kind
    from core.benchmark_scores as s
    left join core.model_profiles as m on m.model_id = s.model_id
    left join catalogue as c on c.source_name = s.source_name
    where s.score_pct is not null and s.model_id is not null
),

paper_table1 as (
    select model_id, quantity, value, unit,
        'published' as kind,
        'Wani et al. 2026 (arXiv:2602.20164), Table 1 as printed: ' || printed as source,
        'https://arxiv.org/abs/2602.20164' as url,
        accelerator_id, null as basis, null as scope, null as note, '2026-02' as as_of,
        source_name,
        source_name as origin,
        'published_table' as origin_kind
    from (
        select model_id, source_name, 'training_flops' as quantity, training_flops as value, 'FLOP' as unit,
               training_flops_printed as printed, null as accelerator_id from core.paper_table1
        union all
        select model_id, source_name, 'gpu_hours', gpu_hours_h100, 'GPU-hours', gpu_hours_h100_printed, gpu_hours_accelerator_id
        from core.paper_table1
        union all
        select model_id, source_name, 'tco2e', tco2e, 'tCO2e', tco2e_printed, null from core.paper_table1
        union all
        select model_id, source_name, 'gpqa_diamond_score', gpqa_diamond, 'percent', cast(gpqa_diamond as varchar), null
        from core.paper_table1
        union all
        select model_id, source_name, 'aime_2024_score', aime_2024, 'percent', cast(aime_2024 as varchar), null from core.paper_table1
    ) as printed_cells
    where model_id is not null
)

select * from fact_records
union all by name
select * from scores
union all by name
select * from paper_table1
