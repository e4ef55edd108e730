-- ftp: FTP file transfers: start time (ms), command, file, status, data mode, bytes, duration and throughput
-- The columns of `wide` (wide/ftp.sql, `tmonbench query --wide ftp`) that fit 120 columns,
-- duration_s named shorter (dur_s, as tcp and top-flows) to make room for the start time's milliseconds.
-- status follows the file: a table too wide leaves out its last columns, and it was the one
-- saying why bytes and rate are NULL (data_not_captured; trial3 D1).
SELECT
    probe,
    date_trunc('millisecond', start_time)::TIMESTAMP_MS AS start_time,
    command,
    file_name AS file,
    status,
    data_mode AS mode,
    bytes,
    duration_s AS dur_s,
    throughput_mbps AS rate_mbps
FROM wide
ORDER BY probe, wide.start_time, session_id
