-- top-flows: the 20 flows of class 'all' with the most bytes, with packets, first seen (s) and duration
-- Shorter names than the flows table's (packets, duration_s) to fit 120 columns.
SELECT
    probe,
    flow_id,
    name,
    packets AS pkts,
    bytes,
    date_trunc('second', first_seen)::TIMESTAMP_S AS first_seen,
    round((epoch_ns(last_seen) - epoch_ns(first_seen)) / 1e9, 3) AS dur_s
FROM flows
WHERE class = 'all'
ORDER BY bytes DESC, packets DESC, probe, flow_id
LIMIT 20
