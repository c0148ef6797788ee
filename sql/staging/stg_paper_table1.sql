-- published table-1 rows as printed, one per model name; its gpu-hours column is headed "gpu-hours (h100)"
with printed as (
    select * from validated.paper_table1
)

select
    source_name,
    model_name,
    model_type,
    row_number,
    training_flops,
    training_flops_printed,
    training_flops_sig_digits,
    gpu_hours_h100,
    gpu_hours_h100_printed,
    gpu_hours_h100_sig_digits,
    'h100_sxm' as gpu_hours_accelerator_id,
    tco2e,
    tco2e_printed,
    tco2e_sig_digits,
    gpqa_diamond,
    aime_2024
from printed
