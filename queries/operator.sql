-- operator: per hour, probe and protocol: flows, packets, bytes, packet size mean and standard deviation, TCP SYN/FIN/RST (needs tmonbench rollup)
-- The columns of `wide` (wide/operator.sql, `tmonbench query --wide operator`), shorter names to fit 120 columns
-- (mean_bytes, sd_bytes: the packet size mean and population standard deviation, sqrt(m2/n) over
-- every packet of the hour: the packets are all counted, not sampled).
SELECT
    date_trunc('second', hour)::TIMESTAMP_S AS hour,
    probe,
    protocol AS proto,
    flows,
    packets,
    bytes,
    mean_packet_bytes AS mean_bytes,
    stddev_packet_bytes AS sd_bytes,
    tcp_syn AS syn,
    tcp_fin AS fin,
    tcp_rst AS rst
FROM wide
ORDER BY wide.hour, probe, bytes DESC, proto
