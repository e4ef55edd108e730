-- rtt: round trips per probe and kind (icmp_echo, dns, snmp, ntp, tcp_handshake, tcp_ts): samples and ms statistics, p50/p90 interpolated (quantile_cont)
-- Percentiles interpolate linearly between the two samples around the rank (DuckDB quantile_cont,
-- R's type 7): not always a sample. A nearest-rank percentile (the lab truth's summary.json,
-- DuckDB quantile_disc) is one of the samples: the two differ by up to the gap between neighbours.
SELECT
    probe,
    kind,
    count(*) AS samples,
    round(min(rtt_ms), 3) AS min_ms,
    round(quantile_cont(rtt_ms, 0.5), 3) AS p50_ms,
    round(quantile_cont(rtt_ms, 0.9), 3) AS p90_ms,
    round(max(rtt_ms), 3) AS max_ms,
    round(avg(rtt_ms), 3) AS mean_ms
FROM rtt_samples
GROUP BY probe, kind
ORDER BY probe, kind
