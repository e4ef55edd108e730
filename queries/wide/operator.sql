-- operator --wide: per hour, probe and protocol: flows, packets, bytes, packet size mean and standard deviation, TCP SYN/FIN/RST (needs tmonbench rollup)
WITH f AS (
    SELECT DISTINCT probe, flow_id, protocol, src_addr, dst_addr FROM flows WHERE class = 'all'
), c AS (
    SELECT c.*, f.protocol
    FROM flow_counters_1h c
    JOIN f USING (probe, flow_id)
    LEFT JOIN addresses s ON s.address = f.src_addr
    LEFT JOIN addresses d ON d.address = f.dst_addr
    WHERE report_range(c.interval_start)
      AND report_activity(s.activity, d.activity) AND report_location(s.location, d.location)
), sizes AS (
    -- packet sizes merged over the flows of the hour (Chan: m2 + n (mean_i - mean)^2)
    SELECT interval_start, probe, protocol, sum(n) AS n, sum(sum) AS total,
        sum(m2 + n * (sum / n - gsum / gn) ** 2) AS m2
    FROM (SELECT *, sum(n) OVER w AS gn, sum(sum) OVER w AS gsum FROM c
          WHERE metric = 'ip_bytes' AND n > 0 WINDOW w AS (PARTITION BY interval_start, probe, protocol))
    GROUP BY ALL
)
SELECT
    c.interval_start AS hour,
    c.probe,
    protocol_name(c.protocol) AS protocol,
    count(DISTINCT (c.probe, c.flow_id)) AS flows,
    sum(c.sum) FILTER (WHERE c.metric = 'packets')::UBIGINT AS packets,
    sum(c.sum) FILTER (WHERE c.metric = 'ip_bytes')::UBIGINT AS bytes,
    round(any_value(s.total / s.n), 3) AS mean_packet_bytes,
    round(any_value(sqrt(s.m2 / s.n)), 3) AS stddev_packet_bytes, -- population (divided by n, not n - 1): every packet counted
    coalesce(sum(c.n) FILTER (WHERE c.metric = 'tcp_syn'), 0)::UBIGINT AS tcp_syn,
    coalesce(sum(c.n) FILTER (WHERE c.metric = 'tcp_fin'), 0)::UBIGINT AS tcp_fin,
    coalesce(sum(c.n) FILTER (WHERE c.metric = 'tcp_rst'), 0)::UBIGINT AS tcp_rst
FROM c
LEFT JOIN sizes s ON s.interval_start = c.interval_start AND s.probe = c.probe AND s.protocol = c.protocol
GROUP BY ALL
ORDER BY hour, c.probe, bytes DESC, protocol
