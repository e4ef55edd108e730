-- oneway: per one-way flow, hop pair and interval: sent, lost, loss (RFC 7680) and delay p50/p90/p99/max in µs (RFC 7679; percentiles from an HDR histogram)
-- p50/p90/p99 are oneway_latency's: the nearest rank read from an HDR histogram of 2 significant
-- digits (HdrHistogram ValueAtQuantile: at most 1 % above the exact nearest-rank delay, within min and max).
-- The columns of `wide` (wide/oneway.sql, `tmonbench query --wide oneway`) that fit 120 columns.
-- Hop pairs in path order, then by name where written before the hop indices (queries/open.go: HopOrderMacro).
SELECT
    flow,
    hop_pair(from_hop, to_hop) AS hops,
    date_trunc('second', interval_start)::TIMESTAMP_S AS interval_start,
    sent,
    lost,
    loss_pct,
    p50_us,
    p90_us,
    p99_us,
    max_us
FROM wide
ORDER BY class, flow, hop_order(from_hop, to_hop, from_hop_index, to_hop_index), wide.interval_start
