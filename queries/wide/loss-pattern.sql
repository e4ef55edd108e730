-- loss-pattern --wide: per one-way class, flow, hop pair and interval: loss periods (RFC 3357: runs of consecutive lost packets, their count, mean and longest length in packets) and reordering (RFC 4737: packets that arrived after a packet sent later, and their share of the delivered)
-- The send order at from_hop gives the sequence (RFC 3357 §4): a loss
-- period is a run of lost packets with no delivered or dropped packet
-- between them (a dropped packet, not observed at to_hop, ends a run
-- without being counted lost); it counts in the interval of its first
-- packet's send time. A delivered packet is reordered when a packet sent
-- after it arrived before it (RFC 4737 §3.3: its sequence is below the
-- next expected one); it counts in the interval of its send time. Copies
-- and packets missed at from_hop are not in the sequence. Packets with
-- one send time (a µs capture at line rate stamps bursts alike) have no
-- send order of their own: their arrival order stands for it, so they are
-- never reordered among themselves (lost ones after them). Rows: one per
-- oneway_loss row.
-- Hop pairs in path order, then by name where written before the hop indices (queries/open.go: HopOrderMacro).
WITH sent AS (
    SELECT
        class, flow_id, from_hop, to_hop, send_time, recv_time, status,
        row_number() OVER (PARTITION BY class, flow_id, from_hop, to_hop ORDER BY send_time, recv_time NULLS LAST, signature) AS seq
    FROM oneway_rows(oneway_delays)
    WHERE status IN ('delivered', 'lost', 'dropped')
),
intervals AS (
    SELECT DISTINCT class, interval_s FROM oneway_loss
),
periods AS (
    SELECT class, flow_id, from_hop, to_hop, min(send_time) AS send_time, count(*) AS packets
    FROM (
        SELECT *, seq - row_number() OVER (PARTITION BY class, flow_id, from_hop, to_hop ORDER BY seq) AS run
        FROM sent
        WHERE status = 'lost'
    )
    GROUP BY class, flow_id, from_hop, to_hop, run
),
period_stats AS (
    SELECT
        p.class, p.flow_id, p.from_hop, p.to_hop,
        epoch_ns(p.send_time) - epoch_ns(p.send_time) % (i.interval_s * 1e9)::BIGINT AS interval_ns,
        count(*) AS loss_periods,
        avg(p.packets) AS loss_period_mean_pkts,
        max(p.packets) AS loss_period_max_pkts
    FROM periods p
    JOIN intervals i USING (class)
    GROUP BY ALL
),
arrivals AS (
    SELECT
        class, flow_id, from_hop, to_hop, send_time,
        seq < max(seq) OVER (PARTITION BY class, flow_id, from_hop, to_hop ORDER BY recv_time, seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reordered
    FROM sent
    WHERE status = 'delivered'
),
reorder_stats AS (
    SELECT
        a.class, a.flow_id, a.from_hop, a.to_hop,
        epoch_ns(a.send_time) - epoch_ns(a.send_time) % (i.interval_s * 1e9)::BIGINT AS interval_ns,
        count(*) FILTER (WHERE a.reordered) AS reordered
    FROM arrivals a
    JOIN intervals i USING (class)
    GROUP BY ALL
)
SELECT
    class, flow, from_hop, to_hop, from_hop_index, to_hop_index, interval_start, sent, delivered, lost,
    round(percent(lost, sent), 3) AS loss_pct,
    coalesce(loss_periods, 0) AS loss_periods,
    round(loss_period_mean_pkts, 2) AS loss_period_mean_pkts,
    loss_period_max_pkts,
    coalesce(reordered, 0) AS reordered,
    round(percent(coalesce(reordered, 0), delivered), 3) AS reordered_pct
FROM (SELECT *, epoch_ns(interval_start) AS interval_ns FROM oneway_rows(oneway_loss))
LEFT JOIN period_stats USING (class, flow_id, from_hop, to_hop, interval_ns)
LEFT JOIN reorder_stats USING (class, flow_id, from_hop, to_hop, interval_ns)
ORDER BY class, flow, hop_order(from_hop, to_hop, from_hop_index, to_hop_index), interval_start
