-- top-flows: the 20 flows of class 'all' with the most bytes, with packets, first seen (s) and duration
SELECT
    probe,
    flow_id,
    name,
    packets,
    bytes,
    date_trunc('second', first_seen)::TIMESTAMP_S AS first_seen,
    round((epoch_ns(last_seen) - epoch_ns(first_seen)) / 1e9, 3) AS duration_s
FROM flows
WHERE class = 'all'
ORDER BY bytes DESC, packets DESC, probe, flow_id
LIMIT 20
