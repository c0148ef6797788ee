-- how the default's model names resolve: the README quotes these counts
with names as (
    select outcome from core.name_resolution
)

select
    count(*) as names,
    count(*) filter (where outcome = 'matched') as found_another_sources_model,
    count(*) filter (where outcome = 'new model') as made_their_own,
    count(*) filter (where outcome = 'unused annotation') as unused_annotations,
    (select count(distinct model_name) from ops.unmatched_models where source_name = 'open_llm_leaderboard')
        as open_llm_community_names_unmatched,
    (select count(*) from ops.unmatched_models where source_name <> 'open_llm_leaderboard') as other_names_unmatched
from names
