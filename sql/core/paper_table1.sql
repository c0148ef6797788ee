-- published table-1 rows matched to canonical model ids
with printed as (
    select * from staging.stg_paper_table1
),

resolution as (
    select * from core.name_resolution
)

select r.model_id, p.*
from printed as p
left join resolution as r on r.source_name = p.source_name and r.model_name = p.model_name
