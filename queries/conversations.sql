-- conversations: the 20 address pairs with the most bytes at one probe (both directions, class all; a row per probe that saw the pair): who they are (activity, location, country, DNS name), bytes each way, packets, flows, duration (needs tmonbench rollup)
-- The columns of `wide` (wide/conversations.sql, `tmonbench query --wide conversations`) that fit 120 columns,
-- the bytes each way under shorter names (a_b_bytes: a to b; wide's bytes_a_to_b, bytes_b_to_a).
SELECT
    probe,
    a,
    a_is,
    b,
    b_is,
    bytes_a_to_b AS a_b_bytes,
    bytes_b_to_a AS b_a_bytes,
    packets,
    flows,
    round((epoch_ns(last_seen) - epoch_ns(first_seen)) / 1e9, 3) AS duration_s
FROM wide
ORDER BY bytes DESC, probe, a, b
