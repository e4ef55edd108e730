-- top-flows --wide: the 20 flows of class 'all' with the most bytes: probe, flow id, name, packets, bytes, first and last seen (ns) and duration
SELECT
    probe,
    flow_id,
    name,
    packets,
    bytes,
    first_seen,
    last_seen,
    round((epoch_ns(last_seen) - epoch_ns(first_seen)) / 1e9, 6) AS duration_s
FROM flows
WHERE class = 'all'
ORDER BY bytes DESC, packets DESC, probe, flow_id
LIMIT 20
