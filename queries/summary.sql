-- summary: per probe, per protocol and in total (class 'all'): flows, packets, bytes, first seen, duration_s, IP reassembled
-- Per probe: two probes on one path see the same packets, so a sum over probes would count them twice.
WITH reassembled AS (
    SELECT probe, flow_id, sum(n) AS n
    FROM flow_counters
    WHERE metric = 'ip_reassembled'
    GROUP BY probe, flow_id
)
SELECT
    flows.probe,
    CASE WHEN grouping(protocol) = 1 THEN 'total' ELSE protocol_name(protocol) END AS protocol,
    count(*) AS flows,
    coalesce(sum(packets), 0)::UBIGINT AS packets,
    coalesce(sum(bytes), 0)::UBIGINT AS bytes,
    min(first_seen) AS first_seen,
    round((epoch_ns(max(last_seen)) - epoch_ns(min(first_seen))) / 1e9, 6) AS duration_s,
    coalesce(sum(reassembled.n), 0)::UBIGINT AS ip_reasm
FROM flows
LEFT JOIN reassembled ON reassembled.probe = flows.probe AND reassembled.flow_id = flows.flow_id
WHERE class = 'all'
GROUP BY GROUPING SETS ((flows.probe, flows.protocol), (flows.probe))
ORDER BY flows.probe, grouping(flows.protocol), bytes DESC, flows.protocol
