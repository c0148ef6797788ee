-- how far from a printed table-2 cell a reproduced cell may be and still count as the paper's own
-- rounding: the paper mixes rounded and unrounded flops between cells
create or replace macro table2_tolerance() as 0.005::double
