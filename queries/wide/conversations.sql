-- conversations --wide: the 20 address pairs with the most bytes at one probe (both directions, class all; a pair two probes saw has a row per probe: on one path they saw the same packets): activity, location, country and DNS name, bytes each way and in total, packets, flows, first and last seen (needs tmonbench rollup)
WITH p AS (
    SELECT
        probe,
        least(src_addr, dst_addr) AS a,
        greatest(src_addr, dst_addr) AS b,
        sum(bytes) FILTER (WHERE src_addr <= dst_addr) AS bytes_a_to_b,
        sum(bytes) FILTER (WHERE src_addr > dst_addr) AS bytes_b_to_a,
        sum(packets) AS packets,
        count(*) AS flows,
        min(first_seen) AS first_seen,
        max(last_seen) AS last_seen
    FROM flows
    WHERE class = 'all' AND src_addr <> '' AND dst_addr <> ''
      AND (getvariable('from') IS NULL OR last_seen >= getvariable('from')::TIMESTAMP)
      AND (getvariable('to') IS NULL OR first_seen < getvariable('to')::TIMESTAMP)
    GROUP BY ALL
)
SELECT
    p.probe,
    p.a,
    coalesce(nullif(concat_ws(' ', nullif(x.activity, ''), nullif(x.location, ''), nullif(x.country, ''), nullif(x.dns_name, '')), ''), '-') AS a_is,
    p.b,
    coalesce(nullif(concat_ws(' ', nullif(y.activity, ''), nullif(y.location, ''), nullif(y.country, ''), nullif(y.dns_name, '')), ''), '-') AS b_is,
    coalesce(p.bytes_a_to_b, 0)::UBIGINT AS bytes_a_to_b,
    coalesce(p.bytes_b_to_a, 0)::UBIGINT AS bytes_b_to_a,
    (coalesce(p.bytes_a_to_b, 0) + coalesce(p.bytes_b_to_a, 0))::UBIGINT AS bytes,
    p.packets::UBIGINT AS packets,
    p.flows,
    p.first_seen,
    p.last_seen
FROM p
LEFT JOIN addresses x ON x.address = p.a
LEFT JOIN addresses y ON y.address = p.b
WHERE report_activity(x.activity, y.activity) AND report_location(x.location, y.location)
ORDER BY bytes DESC, p.probe, p.a, p.b
LIMIT 20
