-- oneway --wide: per one-way class, flow, hop pair and interval: sent, delivered, lost, missed, dropped, duplicates, loss (RFC 7680) and delay min/p50/p90/p99/max/mean in µs (RFC 7679; percentiles: nearest rank from an HDR histogram, 2 significant digits)
-- oneway_loss_row: the loss columns and loss_pct of a one-way row (queries/open.go: OnewayLossMacro)
-- Hop pairs in path order, then by name where written before the hop indices (queries/open.go: HopOrderMacro).
SELECT
    s.* EXCLUDE (flow_id),
    round(l.min_us, 1) AS min_us,
    round(l.p50_us, 1) AS p50_us,
    round(l.p90_us, 1) AS p90_us,
    round(l.p99_us, 1) AS p99_us,
    round(l.max_us, 1) AS max_us,
    round(l.sum_us / nullif(l.n, 0), 1) AS mean_us
FROM oneway_loss_row(oneway_loss) s
LEFT JOIN oneway_rows(oneway_latency) l USING (class, flow_id, from_hop, to_hop, interval_start)
ORDER BY s.class, s.flow, hop_order(s.from_hop, s.to_hop, s.from_hop_index, s.to_hop_index), s.interval_start
