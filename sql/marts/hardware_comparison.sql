-- one row per (scenario, workload, accelerator): the paper's §4 workloads priced on each accelerator,
-- with the paper's printed Table 2 cells beside them where it printed one
with costs as (
    select * from costs.workload_costs
),

printed as (
    select * from staging.stg_paper_table2 where workload_id is not null and accelerator_id is not null
),

accelerators as (
    select accelerator_id, name as accelerator from ref.accelerators
),

compared as (
    select
        c.scenario,
        c.workload_id,
        c.workload,
        c.section,
        c.method,
        c.in_table2,
        c.accelerator_id,
        a.accelerator,
        c.training_tokens,
        c.training_flops,
        c.peak_flops_per_s,
        c.mfu,
        c.mfu_low,
        c.mfu_high,
        c.tdp_w,
        c.pue,
        c.grid_tco2e_per_mwh,
        c.gpu_hours,
        c.gpu_hours_low,
        c.gpu_hours_high,
        c.energy_mwh,
        c.energy_mwh_low,
        c.energy_mwh_high,
        c.tco2e,
        c.tco2e_low,
        c.tco2e_high,
        c.usd_per_gpu_hour,
        c.cost_usd,
        c.cost_usd_low,
        c.cost_usd_high,
        p.gpu_hours as paper_gpu_hours,
        p.gpu_hours_printed as paper_gpu_hours_printed,
        p.tco2e as paper_tco2e,
        p.tco2e_printed as paper_tco2e_printed,
        c.gpu_hours / p.gpu_hours - 1 as gpu_hours_rel_diff,
        c.tco2e / p.tco2e - 1 as tco2e_rel_diff,
        same_at_sig(c.gpu_hours, p.gpu_hours, least(p.gpu_hours_sig_digits, 3))
            and same_at_sig(c.tco2e, p.tco2e, least(p.tco2e_sig_digits, 3)) as matches_paper
    from costs as c
    join accelerators as a on a.accelerator_id = c.accelerator_id
    left join printed as p on p.workload_id = c.workload_id and p.accelerator_id = c.accelerator_id
)

select
    *,
    case
        when paper_gpu_hours is null then 'not in the paper''s Table 2'
        when matches_paper then 'same as printed'
        when greatest(abs(gpu_hours_rel_diff), abs(tco2e_rel_diff)) <= table2_tolerance()
            then 'within ' || round(table2_tolerance() * 100, 2) || '% of printed (paper rounding)'
        else 'differs from printed'
    end as paper_agreement
from compared
order by scenario, workload_id, accelerator_id
