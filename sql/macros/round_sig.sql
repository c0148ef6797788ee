-- x rounded to d significant figures (the precision a published table printed)
create or replace macro round_sig(x, d) as
    case when x is null or x = 0 then x
         else round(x, cast(d - 1 - floor(log10(abs(x))) as integer)) end
