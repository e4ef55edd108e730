-- loss-pattern: per one-way flow, hop pair and interval: loss periods (RFC 3357: runs of consecutive lost packets, the longest in packets) and reordered packets (RFC 4737: arrived after a packet sent later; % of the delivered)
-- The columns of `wide` (wide/loss-pattern.sql, `tmonbench query --wide loss-pattern`) that fit 120 columns.
-- Hop pairs in path order (from_hop_index, to_hop_index: the hops' positions in the class's
-- oneway.hops, design 4.3): the segments from the first hop on, then the longer spans, end to end
-- last; outputs written before those columns (NULL) keep the hops' alphabetical order.
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
ORDER BY class, flow, to_hop_index - from_hop_index, from_hop_index, from_hop, to_hop, wide.interval_start
