-- oneway-hourly: one-way loss (RFC 7680) and delay (RFC 7679) per flow, hop pair and hour: sent, lost, loss, µs max and the upper bounds of the bins holding p50/p99 (needs tmonbench rollup)
-- pNN_hi_us is a bound, not a percentile: the nearest-rank percentile lies in the rollup's slice
-- holding it, at most pNN_hi_us and at least pNN_lo_us (--wide).
-- The columns of `wide` (wide/oneway-hourly.sql, `tmonbench query --wide oneway-hourly`: class,
-- delivered, missed, dropped, duplicates, mean, stddev, min and both bounds) that fit 120 columns.
SELECT
    flow,
    from_hop || '>' || to_hop AS hops,
    date_trunc('second', hour)::TIMESTAMP_S AS hour,
    sent,
    lost,
    loss_pct,
    p50_hi_us,
    p99_hi_us,
    max_us
FROM wide
ORDER BY class, flow, from_hop, to_hop, wide.hour
