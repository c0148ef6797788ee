-- every validated benchmark score with its canonical model id (null when the name matched no model: the score stays,
-- and the name is in ops.unmatched_models) and the catalogue position of its source
with records as (
    select * from staging.stg_benchmark_records
),

resolution as (
    select * from core.name_resolution
),

sources as (
    select name as source_name, position as source_rank from ref.sources
)

select
    r.model_id,
    b.benchmark_id,
    b.benchmark_mapped,
    b.benchmark_as_written,
    b.metric,
    b.score_pct,
    b.score,
    b.scale,
    b.setting,
    b.kind,
    b.k,
    b.temperature,
    b.top_p,
    b.n_questions,
    b.source,
    b.url,
    b.as_of,
    b.source_name,
    b.model_name as model_name_as_written,
    s.source_rank
from records as b
left join resolution as r on r.source_name = b.source_name and r.model_name = b.model_name
left join sources as s on s.source_name = b.source_name
