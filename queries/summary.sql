-- summary: per protocol and in total (class 'all'): flows, packets, bytes, first/last seen, datagrams reassembled
WITH reassembled AS (
    SELECT probe, flow_id, sum(n) AS n
    FROM flow_counters
    WHERE metric = 'ip_reassembled'
    GROUP BY probe, flow_id
)
SELECT
    CASE WHEN grouping(protocol) = 1 THEN 'total' ELSE protocol_name(protocol) END AS protocol,
    count(*) AS flows,
    coalesce(sum(packets), 0)::UBIGINT AS packets,
    coalesce(sum(bytes), 0)::UBIGINT AS bytes,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen,
    coalesce(sum(reassembled.n), 0)::UBIGINT AS ip_reasm
FROM flows
LEFT JOIN reassembled ON reassembled.probe = flows.probe AND reassembled.flow_id = flows.flow_id
WHERE class = 'all'
GROUP BY GROUPING SETS ((flows.protocol), ())
ORDER BY grouping(flows.protocol), bytes DESC, flows.protocol
