-- benchmark results from model-index, mapped to canonical benchmark ids, in percent
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
        lower(dataset_name) as name_key,
        lower(coalesce(dataset_type, '') || ':' || coalesce(dataset_config, '')) as type_key
    from results
)

select
    keyed.model_id,
    coalesce(by_type.benchmark_id, by_name.benchmark_id) as benchmark_id,
    keyed.dataset_name,
    keyed.metric_type,
    keyed.score as score_pct,
    keyed.source,
    keyed.url,
    keyed.card_path
from keyed
left join catalogue as by_type on by_type.alias = keyed.type_key
left join catalogue as by_name on by_name.alias = keyed.name_key
