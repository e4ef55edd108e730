-- oneway-hourly --wide: one-way loss (RFC 7680) and delay (RFC 7679) per class, flow, hop pair and hour: sent, delivered, lost, missed, dropped, duplicates, µs mean/stddev/min/max and the histogram slices holding p50/p99 (both bounds) (needs tmonbench rollup)
-- pNN_slice_lo_us and pNN_slice_hi_us are not percentiles: they bound the oneway_latency slice
-- (slices_ms) where the cumulative count reaches the nearest rank, narrowed by the hour's min and
-- max (oneway_latency_1h's pNN_lo_us, pNN_hi_us). The nearest-rank pNN lies between them.
-- oneway_loss_row: the loss columns and loss_pct of a one-way row (queries/open.go: OnewayLossMacro)
-- Hop pairs in path order, then by name where written before the hop indices (queries/open.go: HopOrderMacro).
SELECT
    s.* EXCLUDE (flow_id) RENAME (interval_start AS hour),
    round(l.sum_us / nullif(l.n, 0), 1) AS mean_us,
    round(sqrt(l.m2_us2 / nullif(l.n, 0)), 1) AS stddev_us,
    l.min_us,
    l.max_us,
    l.p50_lo_us AS p50_slice_lo_us,
    l.p50_hi_us AS p50_slice_hi_us,
    l.p99_lo_us AS p99_slice_lo_us,
    l.p99_hi_us AS p99_slice_hi_us
FROM oneway_loss_row(oneway_loss_1h) s
LEFT JOIN oneway_rows(oneway_latency_1h) l USING (class, flow_id, flow, from_hop, to_hop, interval_start)
-- report_range, report_oneway_flow: the report's filters (queries/open.go: ReportFilterMacros), activity
-- and location of the addresses of the probe flows of the class with the one-way flow's name
WHERE report_range(s.interval_start) AND report_oneway_flow(s.class, s.flow)
ORDER BY s.class, s.flow, hop_order(s.from_hop, s.to_hop, s.from_hop_index, s.to_hop_index), hour
