-- summary: per probe, per protocol and in total (class 'all'): flows, packets, bytes, first seen, duration_s, IP reassembled
-- Per probe: two probes on one path see the same packets, so a sum over probes would count them twice.
-- Without any flow (a capture without an IP packet): one total row of zeros.
WITH reassembled AS (
    SELECT probe, flow_id, sum(n) AS n
    FROM flow_counters
    WHERE metric = 'ip_reassembled'
    GROUP BY probe, flow_id
),
per_probe AS (
    SELECT
        flows.probe,
        CASE WHEN grouping(protocol) = 1 THEN 'total' ELSE protocol_name(protocol) END AS protocol,
        count(*) AS flows,
        coalesce(sum(packets), 0)::UBIGINT AS packets,
        coalesce(sum(bytes), 0)::UBIGINT AS bytes,
        min(first_seen) AS first_seen,
        round((epoch_ns(max(last_seen)) - epoch_ns(min(first_seen))) / 1e9, 6) AS duration_s,
        coalesce(sum(reassembled.n), 0)::UBIGINT AS ip_reasm,
        grouping(flows.protocol) AS total_row,
        flows.protocol AS protocol_number
    FROM flows
    LEFT JOIN reassembled ON reassembled.probe = flows.probe AND reassembled.flow_id = flows.flow_id
    WHERE class = 'all'
    GROUP BY GROUPING SETS ((flows.probe, flows.protocol), (flows.probe))
)
SELECT probe, protocol, flows, packets, bytes, first_seen, duration_s, ip_reasm
FROM (
    SELECT * FROM per_probe
    UNION ALL BY NAME
    SELECT 'total' AS protocol, 0::BIGINT AS flows, 0::UBIGINT AS packets, 0::UBIGINT AS bytes, 0::UBIGINT AS ip_reasm, 1 AS total_row
    WHERE NOT EXISTS (SELECT 1 FROM per_probe)
)
ORDER BY probe, total_row, bytes DESC, protocol_number
