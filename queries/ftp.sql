-- ftp: FTP file transfers: command, file, direction, data mode, bytes, throughput and status
SELECT
    probe,
    session_id,
    start_time,
    command,
    file_name,
    direction,
    data_mode,
    mode_command,
    bytes,
    round(duration_s, 3) AS duration_s,
    round(throughput_mbps, 3) AS throughput_mbps,
    reply_code,
    status
FROM ftp_transfers
ORDER BY probe, start_time, session_id
