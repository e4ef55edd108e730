-- operator-rtt: round trips per hour, probe and kind: samples, ms mean and max, and the histogram slices holding p50/p99 as lo-hi ranges (p90: --wide) (needs tmonbench rollup)
-- pNN_slice_ms is a range, not a percentile: the nearest-rank percentile of the hour's samples lies
-- in the rtt_histograms slice where the cumulative count reaches it (slices_ms, default <2, 2-10,
-- 10-50, >50 ms); the range is that slice clipped to the samples it holds, from its smallest to its
-- largest sample (--wide: pNN_slice_lo_ms, pNN_slice_hi_ms as numbers).
-- The columns of `wide` (wide/operator-rtt.sql, `tmonbench query --wide operator-rtt`: stddev,
-- min, p90 and both bounds of each percentile) that fit 120 columns.
SELECT
    date_trunc('second', hour)::TIMESTAMP_S AS hour,
    probe,
    kind,
    samples,
    mean_ms,
    p50_slice_lo_ms || '-' || p50_slice_hi_ms AS p50_slice_ms,
    p99_slice_lo_ms || '-' || p99_slice_hi_ms AS p99_slice_ms,
    max_ms
FROM wide
ORDER BY wide.hour, probe, kind
