-- the paper's Table 1 as printed, matched to model ids by name or alias
with printed as (
    select * from validated.paper_table1
),

names as (
    select distinct model_id, name_key from staging.stg_model_names
)

select
    names.model_id,
    printed.model_name,
    printed.model_type,
    printed.row_number,
    printed.training_flops,
    printed.training_flops_printed,
    printed.training_flops_sig_digits,
    printed.gpu_hours_h100,
    printed.gpu_hours_h100_printed,
    printed.gpu_hours_h100_sig_digits,
    printed.tco2e,
    printed.tco2e_printed,
    printed.tco2e_sig_digits,
    printed.gpqa_diamond,
    printed.aime_2024
from printed
left join names on names.name_key = regexp_replace(lower(printed.model_name), '[^a-z0-9]', '', 'g')
