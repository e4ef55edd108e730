-- tcp --wide: TCP connections per probe: start time, class, client and server, duration, Zeek conn_state and history, payload bytes each way, retransmissions, handshake RTT: first SYN to SYN/ACK (handshake_ms, the RTT only at a probe beside the client, a lost SYN's timeout included) and the last SYN to the handshake's ACK (irtt_ms = handshake_rtt_ms + handshake_synack_ack_ms, tshark's tcp.analysis.initial_rtt: the RTT wherever the probe sits)
SELECT
    probe,
    class,
    -- [v6]:port, as the flows names (RFC 5952 §6): 2001:db8::1:80 would read as one address
    host_port(client_addr, client_port) AS client,
    host_port(server_addr, server_port) AS server,
    start_time,
    round(duration_s, 3) AS duration_s,
    conn_state,
    history,
    client_payload_bytes,
    server_payload_bytes,
    client_retransmissions + server_retransmissions AS retransmissions,
    round(handshake_syn_synack_ms, 3) AS handshake_ms,
    round(handshake_rtt_ms + handshake_synack_ack_ms, 3) AS irtt_ms
FROM tcp_connections
ORDER BY probe, start_time, client
