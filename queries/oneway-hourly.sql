-- oneway-hourly: one-way loss (RFC 7680) and delay (RFC 7679) per flow, hop pair and hour: sent, lost, loss, µs max and the histogram slices holding p50/p99 as lo-hi ranges (needs tmonbench rollup)
-- pNN_slice_us is a range, not a percentile: the nearest-rank percentile of the hour's delays lies
-- in the oneway_latency slice where the cumulative count reaches it (slices_ms); the range is that
-- slice narrowed by the hour's smallest and largest delay, in whole µs as max_us (--wide:
-- pNN_slice_lo_us, pNN_slice_hi_us as numbers; the rollup's columns pNN_lo_us, pNN_hi_us).
-- The columns of `wide` (wide/oneway-hourly.sql, `tmonbench query --wide oneway-hourly`: class,
-- delivered, missed, dropped, duplicates, mean, stddev, min and both bounds) that fit 120 columns.
-- Hop pairs in path order, then by name where written before the hop indices (queries/open.go: HopOrderMacro).
SELECT
    flow,
    hop_pair(from_hop, to_hop) AS hops,
    date_trunc('second', hour)::TIMESTAMP_S AS hour,
    sent,
    lost,
    loss_pct,
    -- whole µs (the ranges rounded outwards: they still hold the percentile), so that the ranges and
    -- max_us fit 120 columns on the lab (5-1000, 100000-176644, 176644)
    floor(p50_slice_lo_us)::BIGINT || '-' || ceil(p50_slice_hi_us)::BIGINT AS p50_slice_us,
    floor(p99_slice_lo_us)::BIGINT || '-' || ceil(p99_slice_hi_us)::BIGINT AS p99_slice_us,
    round(max_us)::BIGINT AS max_us
FROM wide
ORDER BY class, flow, hop_order(from_hop, to_hop, from_hop_index, to_hop_index), wide.hour
