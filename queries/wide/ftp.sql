-- ftp --wide: FTP file transfers: class (a session two classes with ftp follow is a row per class), session, start time, command, file, direction, data mode and its PORT/PASV command, bytes, duration, throughput, reply code and status
SELECT
    probe,
    class,
    session_id,
    start_time,
    command,
    file_name,
    direction,
    data_mode,
    mode_command,
    -- unknown (NULL) when the data connection is not in the capture
    CASE WHEN status <> 'data_not_captured' THEN bytes END AS bytes,
    round(duration_s, 3) AS duration_s,
    CASE WHEN status <> 'data_not_captured' THEN round(throughput_mbps, 3) END AS throughput_mbps,
    reply_code,
    status
FROM ftp_transfers
ORDER BY probe, start_time, session_id
