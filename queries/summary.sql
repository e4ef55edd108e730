-- summary: per probe, per protocol and in total (class 'all'): flows, packets, bytes, first seen, duration_s, IP reassembled
-- ip_reasm is NULL (no value) at a probe whose class 'all' kept no counters (no flow_counters row of its flows:
-- the class has no counters analysis), not 0: nobody counted the datagrams reassembled there.
-- Per probe: two probes on one path see the same packets, so a sum over probes would count them twice.
-- Without any flow: no row (not a total of zeros and NULLs); `tmonbench query` says why on stderr
-- (flows is empty: the packets --filter left out, no packet read, none of them IP).
WITH reassembled AS (
    SELECT probe, flow_id, sum(n) AS n
    FROM flow_counters
    WHERE metric = 'ip_reassembled'
    GROUP BY probe, flow_id
),
counted AS (
    SELECT DISTINCT probe
    FROM flow_counters
    WHERE (probe, flow_id) IN (SELECT (probe, flow_id) FROM flows WHERE class = 'all')
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
        CASE WHEN bool_or(counted.probe IS NOT NULL) THEN coalesce(sum(reassembled.n), 0)::UBIGINT END AS ip_reasm,
        grouping(flows.protocol) AS total_row,
        flows.protocol AS protocol_number
    FROM flows
    LEFT JOIN reassembled ON reassembled.probe = flows.probe AND reassembled.flow_id = flows.flow_id
    LEFT JOIN counted ON counted.probe = flows.probe
    WHERE class = 'all'
    GROUP BY GROUPING SETS ((flows.probe, flows.protocol), (flows.probe))
)
SELECT probe, protocol, flows, packets, bytes, first_seen, duration_s, ip_reasm
FROM per_probe
ORDER BY probe, total_row, bytes DESC, protocol_number
