-- tcp: TCP connections per probe: client, server, duration, state (Zeek conn_state), payload bytes each way (Zeek orig_bytes, resp_bytes), retransmissions, handshake RTT (irtt_ms: tshark's iRTT, the last SYN to the handshake's ACK, wherever the probe sits)
-- The columns of `wide` (wide/tcp.sql, `tmonbench query --wide tcp`) that fit 120 columns.
SELECT
    probe,
    client,
    server,
    duration_s,
    conn_state AS state,
    client_payload_bytes AS orig_bytes,
    server_payload_bytes AS resp_bytes,
    retransmissions AS retrans,
    irtt_ms
FROM wide
ORDER BY probe, wide.start_time, client
