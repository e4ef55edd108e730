-- top-flows: the 20 flows of class 'all' with the most bytes, with packets, first seen (ms) and duration
-- The columns of `wide` (wide/top-flows.sql, `tmonbench query --wide top-flows`: first and last seen
-- to the ns) under shorter names than the flows table's (id: flow_id, pkts: packets, dur_s:
-- duration_s) to fit 120 columns with the first time to the millisecond.
SELECT
    probe,
    flow_id AS id,
    name,
    packets AS pkts,
    bytes,
    date_trunc('millisecond', first_seen)::TIMESTAMP_MS AS first_seen,
    round(duration_s, 3) AS dur_s
FROM wide
ORDER BY bytes DESC, pkts DESC, probe, id
