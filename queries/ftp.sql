-- ftp: FTP file transfers: start time (ms), command, file, data mode, bytes, duration, throughput and status
-- The columns of `wide` (wide/ftp.sql, `tmonbench query --wide ftp`) that fit 120 columns,
-- duration_s named shorter (dur_s, as tcp and top-flows) to make room for the start time's milliseconds.
SELECT
    probe,
    date_trunc('millisecond', start_time)::TIMESTAMP_MS AS start_time,
    command,
    file_name AS file,
    data_mode AS mode,
    bytes,
    duration_s AS dur_s,
    throughput_mbps AS rate_mbps,
    status
FROM wide
ORDER BY probe, wide.start_time, session_id
