-- loss-pattern: per one-way flow, hop pair and interval: loss periods (RFC 3357: runs of consecutive lost packets, the longest in packets) and reordered packets (RFC 4737: arrived after a packet sent later; % of the delivered)
-- The columns of `wide` (wide/loss-pattern.sql, `tmonbench query --wide loss-pattern`) that fit 120 columns.
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
ORDER BY class, flow, from_hop, to_hop, wide.interval_start
