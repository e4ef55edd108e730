-- ftp: FTP file transfers: start time (s), command, file, data mode, bytes, duration, throughput and status
-- The columns of `wide` (wide/ftp.sql, `tmonbench query --wide ftp`) that fit 120 columns.
SELECT
    probe,
    date_trunc('second', start_time)::TIMESTAMP_S AS start_time,
    command,
    file_name AS file,
    data_mode AS mode,
    bytes,
    duration_s,
    throughput_mbps AS rate_mbps,
    status
FROM wide
ORDER BY probe, wide.start_time, session_id
