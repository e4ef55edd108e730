-- ipdv --wide: per one-way class, flow, hop pair and interval: delay variation in µs between consecutive packets (IPDV, RFC 3393; RFC 5481 §4.1: mean, min, max, p50 and p99 of |IPDV|) and against the interval's smallest delay (PDV, RFC 5481 §4.2: p50, p99)
-- IPDV(i) = D(i) - D(i-1) for packets i-1, i consecutive in the send order at
-- from_hop and both delivered (a lost or dropped packet leaves its two pairs
-- undefined, RFC 3393 §2.4; copies and missed packets are not in the sent
-- stream); packets with one send time are in their arrival order (as
-- loss-pattern.sql); a pair counts in the interval of packet i's send time. PDV(i) =
-- D(i) - min D over the interval's delivered packets. Rows: one per
-- oneway_loss row, pairs 0 where no two consecutive packets were delivered.
-- Hop pairs in path order, then by name where written before the hop indices (queries/open.go: HopOrderMacro).
WITH sent AS (
    SELECT
        class, flow_id, from_hop, to_hop, send_time, status, delay_us,
        lag(status) OVER w AS prev_status,
        delay_us - lag(delay_us) OVER w AS ipdv_us
    FROM oneway_rows(oneway_delays)
    WHERE status IN ('delivered', 'lost', 'dropped')
    WINDOW w AS (PARTITION BY class, flow_id, from_hop, to_hop ORDER BY send_time, recv_time NULLS LAST, signature)
),
bucketed AS (
    SELECT
        s.*,
        epoch_ns(s.send_time) - epoch_ns(s.send_time) % (i.interval_s * 1e9)::BIGINT AS interval_ns
    FROM sent s
    JOIN (SELECT DISTINCT class, interval_s FROM oneway_loss) i USING (class)
),
per_interval AS (
    SELECT
        class, flow_id, from_hop, to_hop, interval_ns,
        count(ipdv_us) FILTER (WHERE status = 'delivered' AND prev_status = 'delivered') AS pairs,
        avg(ipdv_us) FILTER (WHERE status = 'delivered' AND prev_status = 'delivered') AS ipdv_mean_us,
        min(ipdv_us) FILTER (WHERE status = 'delivered' AND prev_status = 'delivered') AS ipdv_min_us,
        max(ipdv_us) FILTER (WHERE status = 'delivered' AND prev_status = 'delivered') AS ipdv_max_us,
        quantile_disc(abs(ipdv_us), 0.5) FILTER (WHERE status = 'delivered' AND prev_status = 'delivered') AS ipdv_abs_p50_us,
        quantile_disc(abs(ipdv_us), 0.99) FILTER (WHERE status = 'delivered' AND prev_status = 'delivered') AS ipdv_abs_p99_us,
        min(delay_us) FILTER (WHERE status = 'delivered') AS min_delay_us,
        quantile_disc(delay_us, 0.5) FILTER (WHERE status = 'delivered') AS p50_delay_us,
        quantile_disc(delay_us, 0.99) FILTER (WHERE status = 'delivered') AS p99_delay_us
    FROM bucketed
    GROUP BY ALL
)
SELECT
    class, flow, from_hop, to_hop, from_hop_index, to_hop_index, interval_start,
    coalesce(pairs, 0) AS pairs,
    round(ipdv_mean_us, 1) AS ipdv_mean_us,
    round(ipdv_min_us, 1) AS ipdv_min_us,
    round(ipdv_max_us, 1) AS ipdv_max_us,
    round(ipdv_abs_p50_us, 1) AS ipdv_abs_p50_us,
    round(ipdv_abs_p99_us, 1) AS ipdv_abs_p99_us,
    round(p50_delay_us - min_delay_us, 1) AS pdv_p50_us,
    round(p99_delay_us - min_delay_us, 1) AS pdv_p99_us
FROM (SELECT *, epoch_ns(interval_start) AS interval_ns FROM oneway_rows(oneway_loss))
LEFT JOIN per_interval USING (class, flow_id, from_hop, to_hop, interval_ns)
ORDER BY class, flow, hop_order(from_hop, to_hop, from_hop_index, to_hop_index), interval_start
