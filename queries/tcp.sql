-- tcp: TCP connections per probe: client, server, duration, state (Zeek conn_state), payload bytes each way (Zeek orig_bytes, resp_bytes), retransmissions, handshake RTT (irtt_ms: tshark's iRTT, the last SYN to the handshake's ACK, wherever the probe sits; NULL where no SYN-ACK followed that SYN, where tshark times a RST/ACK too)
-- The columns of `wide` (wide/tcp.sql, `tmonbench query --wide tcp`) that fit 120 columns,
-- two of them named shorter (dur_s: duration_s, rtx: retransmissions, both sides) so that the
-- lab's captures together, whose probe names are folder/file, fit.
SELECT
    probe,
    client,
    server,
    duration_s AS dur_s,
    conn_state AS state,
    client_payload_bytes AS orig_bytes,
    server_payload_bytes AS resp_bytes,
    retransmissions AS rtx,
    irtt_ms
FROM wide
ORDER BY probe, wide.start_time, client
