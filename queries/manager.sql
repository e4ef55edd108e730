-- manager: volumes per day, probe and local Activity/Location: direction, peer (country, ?? when unknown: no GeoIP match; or activity@location inside the organisation), packets and bytes (needs tmonbench rollup)
WITH f AS (
    SELECT DISTINCT probe, flow_id, src_addr, dst_addr FROM flows WHERE class = 'all'
), v AS (
    SELECT
        c.interval_start::DATE AS day,
        c.probe,
        f.src_addr,
        f.dst_addr,
        sum(c.sum) FILTER (WHERE c.metric = 'packets') AS packets,
        sum(c.sum) FILTER (WHERE c.metric = 'ip_bytes') AS bytes
    FROM flow_counters_1d c
    JOIN f USING (probe, flow_id)
    WHERE c.metric IN ('packets', 'ip_bytes')
    GROUP BY ALL
), q AS (
    SELECT
        v.day,
        v.probe,
        CASE
            WHEN s.network <> '' AND d.network <> '' THEN 'internal'
            WHEN s.network <> '' THEN 'outbound'
            WHEN d.network <> '' THEN 'inbound'
            ELSE 'transit'
        END AS direction,
        CASE WHEN s.network = '' AND d.network <> '' THEN d ELSE s END AS l,
        CASE WHEN s.network = '' AND d.network <> '' THEN s ELSE d END AS p,
        v.packets,
        v.bytes
    FROM v
    LEFT JOIN addresses s ON s.address = v.src_addr
    LEFT JOIN addresses d ON d.address = v.dst_addr
)
SELECT
    day,
    probe,
    coalesce(nullif(l.activity, ''), '-') AS activity,
    coalesce(nullif(l.location, ''), '-') AS "location",
    direction,
    CASE
        WHEN p.network <> '' THEN p.activity || '@' || p.location
        ELSE coalesce(nullif(p.country, ''), '??')
    END AS peer,
    sum(packets)::UBIGINT AS packets,
    sum(bytes)::UBIGINT AS bytes
FROM q
WHERE (getvariable('from') IS NULL OR day >= getvariable('from')::DATE)
  AND (getvariable('to') IS NULL OR day <= getvariable('to')::DATE)
  AND (getvariable('activity') IS NULL OR l.activity = getvariable('activity'))
  AND (getvariable('location') IS NULL OR l.location = getvariable('location'))
GROUP BY ALL
ORDER BY day, probe, bytes DESC, activity, "location", direction, peer
