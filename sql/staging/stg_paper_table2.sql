-- the paper's Table 2 as printed, one row per (workload, accelerator), matched to catalogue ids
with printed as (
    select * from validated.paper_table2
),

accelerator_names as (
    select accelerator_id, lower(trim(unnest(string_split(aliases, '|')))) as label
    from ref.accelerators
),

workloads as (
    select workload_id, lower(name) as label from ref.workloads
)

select
    workloads.workload_id,
    accelerator_names.accelerator_id,
    printed.workload_name,
    printed.accelerator_label,
    printed.training_flops,
    printed.training_flops_printed,
    printed.gpu_hours,
    printed.gpu_hours_printed,
    printed.gpu_hours_sig_digits,
    printed.tco2e,
    printed.tco2e_printed,
    printed.tco2e_sig_digits
from printed
left join accelerator_names on accelerator_names.label = lower(printed.accelerator_label)
left join workloads on workloads.label = lower(printed.workload_name)
