-- ftp-daily: FTP transfers per day and direction: transfers by status, files, bytes and throughput in Mbit/s (needs tmonbench rollup)
SELECT
    start_time::DATE AS day,
    direction,
    count(*) AS transfers,
    count(*) FILTER (WHERE status = 'complete') AS complete,
    count(*) FILTER (WHERE status <> 'complete') AS not_complete,
    count(*) FILTER (WHERE command IN ('RETR', 'STOR', 'APPE', 'STOU')) AS files,
    sum(bytes)::UBIGINT AS bytes,
    -- transfers whose data connection is not in the capture have no rate
    round(sum(bytes) FILTER (WHERE status <> 'data_not_captured') * 8
        / nullif(sum(duration_s) FILTER (WHERE status <> 'data_not_captured'), 0) / 1e6, 3) AS mean_mbps,
    round(max(throughput_mbps), 3) AS max_mbps
FROM ftp_transfers
LEFT JOIN addresses s ON s.address = data_src_addr
LEFT JOIN addresses d ON d.address = data_dst_addr
WHERE report_range(start_time)
  AND report_activity(s.activity, d.activity) AND report_location(s.location, d.location)
GROUP BY ALL
ORDER BY day, direction
