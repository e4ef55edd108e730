-- events: every event from the probes and the collector, oldest first
SELECT time, source, kind, severity, message
FROM events
ORDER BY time, source, kind, message
