-- every validated benchmark result, mapped to a canonical benchmark id; a result no catalogue entry
-- names keeps a source-scoped id of its own, so different benchmarks are never merged
with results as (
    select * from validated.benchmark_results
),

catalogue as (
    select benchmark_id, lower(trim(unnest(string_split(aliases, '|')))) as alias
    from ref.benchmarks
),

keyed as (
    select
        *,
        lower(benchmark) as name_key,
        lower(coalesce(dataset_type, '') || ':' || coalesce(dataset_config, '')) as type_key
    from results
)

select
    keyed.source_name,
    keyed.record_id,
    keyed.model_name,
    coalesce(by_type.benchmark_id, by_name.benchmark_id, 'unmapped:' || keyed.benchmark) as benchmark_id,
    coalesce(by_type.benchmark_id, by_name.benchmark_id) is not null as benchmark_mapped,
    keyed.benchmark as benchmark_as_written,
    keyed.metric,
    keyed.score,
    keyed.scale,
    keyed.score_pct,
    keyed.k,
    keyed.temperature,
    keyed.top_p,
    keyed.n_questions,
    keyed.setting,
    keyed.kind,
    keyed.source,
    keyed.url,
    keyed.as_of
from keyed
left join catalogue as by_type on by_type.alias = keyed.type_key
left join catalogue as by_name on by_name.alias = keyed.name_key
