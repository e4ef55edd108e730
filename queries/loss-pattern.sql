-- loss-pattern: per one-way flow, hop pair and interval: loss periods (RFC 3357: runs of consecutive lost packets, the longest in packets) and reordered packets (RFC 4737: arrived after a packet sent later; % of the delivered)
-- The columns of `wide` (wide/loss-pattern.sql, `tmonbench query --wide loss-pattern`) that fit 120 columns.
-- Hop pairs in path order, then by name where written before the hop indices (queries/open.go: HopOrderMacro).
SELECT
    flow,
    hop_pair(from_hop, to_hop) AS hops,
    date_trunc('second', interval_start)::TIMESTAMP_S AS interval_start,
    lost,
    loss_periods AS periods,
    loss_period_max_pkts AS max_period_pkts,
    reordered,
    reordered_pct
FROM wide
ORDER BY class, flow, hop_order(from_hop, to_hop, from_hop_index, to_hop_index), wide.interval_start
