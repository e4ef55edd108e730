-- operator-rtt: round trips per hour, probe and kind: samples, ms mean and max, and the upper bounds of the bins holding p50/p99 (p90: --wide) (needs tmonbench rollup)
-- pNN_hi_ms is a bound, not a percentile: the nearest-rank percentile of the hour's samples lies in
-- the rtt_histograms slice where the cumulative count reaches it (slices_ms, default <2, 2-10, 10-50,
-- >50 ms), at most its largest sample (pNN_hi_ms) and at least its smallest (--wide: pNN_lo_ms).
-- The columns of `wide` (wide/operator-rtt.sql, `tmonbench query --wide operator-rtt`: stddev,
-- min, p90 and both bounds of each percentile) that fit 120 columns.
SELECT
    date_trunc('second', hour)::TIMESTAMP_S AS hour,
    probe,
    kind,
    samples,
    mean_ms,
    p50_hi_ms,
    p99_hi_ms,
    max_ms
FROM wide
ORDER BY wide.hour, probe, kind
