-- ipdv: per one-way flow, hop pair and interval: delay variation in µs between consecutive packets (IPDV, RFC 3393: min, max, p99 of |IPDV|) and against the interval's smallest delay (PDV, RFC 5481 §4.2: p99)
-- The columns of `wide` (wide/ipdv.sql, `tmonbench query --wide ipdv`) that fit 120 columns.
-- Hop pairs in path order, then by name where written before the hop indices (queries/open.go: HopOrderMacro).
SELECT
    flow,
    hop_pair(from_hop, to_hop) AS hops,
    date_trunc('second', interval_start)::TIMESTAMP_S AS interval_start,
    pairs,
    ipdv_min_us,
    ipdv_max_us,
    ipdv_abs_p99_us AS ipdv_p99_us,
    pdv_p99_us
FROM wide
ORDER BY class, flow, hop_order(from_hop, to_hop, from_hop_index, to_hop_index), wide.interval_start
