-- operator-rtt: round trips per hour, probe and kind: samples, ms mean and max, and the upper bounds of the bins holding p50/p99 (p90: --wide) (needs tmonbench rollup)
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
