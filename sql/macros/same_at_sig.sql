-- true when a and b agree once both are rounded to d significant figures
create or replace macro same_at_sig(a, b, d) as
    abs(round_sig(a, d) - round_sig(b, d)) <= 1e-9 * greatest(abs(a), abs(b))
