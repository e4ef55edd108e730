-- operator-rtt --wide: round trips per hour, probe and kind: samples, ms mean/stddev/min/max and the histogram slices holding p50/p90/p99 (their smallest and largest samples) from the merged histograms (needs tmonbench rollup)
-- pNN_slice_lo_ms and pNN_slice_hi_ms are not percentiles: they bound the rtt_histograms slice (slices_ms,
-- default <2, 2-10, 10-50, >50 ms) where the cumulative count reaches the nearest rank, clipped to the
-- samples it holds: its smallest and largest sample. The nearest-rank pNN lies between them.
WITH h AS (
    SELECT r.*, r.sum_ms AS sum, r.m2_ms2 AS m2, r.min_ms AS min, r.max_ms AS max
    FROM rtt_histograms_1h r
    JOIN (SELECT DISTINCT probe, flow_id, src_addr, dst_addr FROM flows) f USING (probe, flow_id)
    LEFT JOIN addresses s ON s.address = f.src_addr
    LEFT JOIN addresses d ON d.address = f.dst_addr
    WHERE r.n > 0
      AND report_range(r.interval_start)
      AND report_activity(s.activity, d.activity) AND report_location(s.location, d.location)
), bins AS (
    -- one row per slice of the hour, merged over flows (Chan's formula for m2)
    SELECT interval_start, probe, kind, slice_lo_ms, sum(n) AS n, sum(sum) AS total,
        sum(m2 + n * (sum / n - gsum / gn) ** 2) AS m2, min(min) AS lo, max(max) AS hi
    FROM (SELECT *, sum(n) OVER w AS gn, sum(sum) OVER w AS gsum FROM h
          WINDOW w AS (PARTITION BY interval_start, probe, kind, slice_lo_ms))
    GROUP BY ALL
), cum AS (
    SELECT *, sum(n) OVER (PARTITION BY interval_start, probe, kind ORDER BY slice_lo_ms) AS upto,
        sum(n) OVER (PARTITION BY interval_start, probe, kind) AS total_n
    FROM bins
), tot AS (
    SELECT interval_start, probe, kind, sum(n) AS n, sum(total) AS total,
        sum(m2 + n * (total / n - gsum / gn) ** 2) AS m2, min(lo) AS lo, max(hi) AS hi
    FROM (SELECT *, sum(n) OVER w AS gn, sum(total) OVER w AS gsum FROM bins
          WINDOW w AS (PARTITION BY interval_start, probe, kind))
    GROUP BY ALL
)
SELECT
    t.interval_start AS hour,
    t.probe,
    t.kind,
    t.n::UBIGINT AS samples,
    round(t.total / t.n, 3) AS mean_ms,
    round(sqrt(t.m2 / t.n), 3) AS stddev_ms,
    round(t.lo, 3) AS min_ms,
    round(t.hi, 3) AS max_ms,
    -- the nearest-rank percentile lies in the slice where the cumulative count reaches it: [its smallest sample, its largest]
    round(arg_min(c.lo, c.slice_lo_ms) FILTER (WHERE c.upto >= ceil(0.50 * c.total_n)), 3) AS p50_slice_lo_ms,
    round(arg_min(c.hi, c.slice_lo_ms) FILTER (WHERE c.upto >= ceil(0.50 * c.total_n)), 3) AS p50_slice_hi_ms,
    round(arg_min(c.lo, c.slice_lo_ms) FILTER (WHERE c.upto >= ceil(0.90 * c.total_n)), 3) AS p90_slice_lo_ms,
    round(arg_min(c.hi, c.slice_lo_ms) FILTER (WHERE c.upto >= ceil(0.90 * c.total_n)), 3) AS p90_slice_hi_ms,
    round(arg_min(c.lo, c.slice_lo_ms) FILTER (WHERE c.upto >= ceil(0.99 * c.total_n)), 3) AS p99_slice_lo_ms,
    round(arg_min(c.hi, c.slice_lo_ms) FILTER (WHERE c.upto >= ceil(0.99 * c.total_n)), 3) AS p99_slice_hi_ms
FROM tot t
JOIN cum c USING (interval_start, probe, kind)
GROUP BY ALL
ORDER BY hour, t.probe, t.kind
