-- summary: flows, packets, bytes, first/last seen and duration per protocol, then a total (flows of class 'all')
SELECT
    CASE
        WHEN grouping(protocol) = 1 THEN 'total'
        WHEN protocol = 6 THEN 'tcp'
        WHEN protocol = 17 THEN 'udp'
        WHEN protocol = 1 THEN 'icmp'
        WHEN protocol = 58 THEN 'icmp6'
        ELSE 'ip-proto-' || protocol
    END AS protocol,
    count(*) AS flows,
    sum(packets)::UBIGINT AS packets,
    sum(bytes)::UBIGINT AS bytes,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen,
    (epoch_ns(max(last_seen)) - epoch_ns(min(first_seen))) / 1e9 AS duration_s
FROM flows
WHERE class = 'all'
GROUP BY GROUPING SETS ((flows.protocol), ())
ORDER BY grouping(flows.protocol), bytes DESC, flows.protocol
