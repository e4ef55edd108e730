#!/usr/bin/env python3
"""Writes data-lost-edges.pcap and data-after-226.pcap (engine/ftp tests):
python3 make-data-lost.py /work/shared/samples/edge OUTDIR"""
import os, sys
sys.path.insert(0, sys.argv[1])
from pcapgen import *  # noqa

C, S = "192.0.2.10", "198.51.100.20"

def capture(sessions, path):
    tl = Timeline()
    def add(frames, dt=0.010):
        tl.add(frames, round(dt * 1e6))
    for cport, body in sessions:
        ctl = TcpConn(C, cport, S, 21, cisn=0x1000 + cport, sisn=0x8000 + cport)
        def cmd(t): add(ctl.data_c(t.encode() + b"\r\n"))
        def rep(t, dt=0.004): add(ctl.data_s(t.encode() + b"\r\n"), dt)
        add(ctl.handshake(), 0.001)
        rep("220 ready"); cmd("USER bob"); rep("331 pw"); cmd("PASS x"); rep("230 ok")
        body(add, cmd, rep)
        cmd("QUIT"); rep("221 bye")
        add(ctl.close_from_server(), 0.001)
    write_pcap(path, tl.records)

def pc(cport, sport):
    return TcpConn(C, cport, S, sport, cisn=0x30000 + cport, sisn=0x90000 + sport)

def p227(port):
    return "227 Entering Passive Mode (198,51,100,20,%d,%d)" % (port >> 8, port & 255)

# STOR: the client's SYN, its handshake ACK and its first 1000 bytes are
# not captured; the SYN-ACK (ack = client ISN+1), the second 1000 bytes and
# the FIN are: 2000 bytes.
def stor_head_lost(add, cmd, rep):
    cmd("PASV"); rep(p227(40003)); cmd("STOR head")
    d = pc(51003, 40003)
    d.syn(); add(d.synack(), 0.001); d.ack_c(); rep("150 ok")
    d.data_c(b"c" * 1000)
    add(d.data_c(b"c" * 1000), 0.001); add(d.ack_s(), 0.001)
    add(d.close_from_client(), 0.001); rep("226 ok")

# RETR: the last 1000 of 3000 bytes and the server's FIN are not captured;
# the client acknowledges 3000, then the FIN (its own FIN): 3000 bytes.
def retr_tail_lost(add, cmd, rep):
    cmd("PASV"); rep(p227(40004)); cmd("RETR tail")
    d = pc(51004, 40004); add(d.handshake(), 0.001); rep("150 ok")
    add(d.data_s(b"d" * 1000), 0.001); add(d.data_s(b"d" * 1000), 0.001)
    d.data_s(b"d" * 1000)
    add(d.ack_c(), 0.001)
    d.fin_s()
    add(d.fin_c(), 0.001); add(d.ack_s(), 0.001)
    rep("226 ok")

# RETR: nothing the server sent on the data connection is captured (a
# one-way capture of it); the client's handshake ACK, ACKs and FIN are:
# 1500 bytes.
def retr_oneway(add, cmd, rep):
    cmd("PASV"); rep(p227(40005)); cmd("RETR oneway")
    d = pc(51005, 40005); add(d.syn(), 0.001); d.synack(); add(d.ack_c(), 0.001); rep("150 ok")
    d.data_s(b"e" * 1000); add(d.ack_c(), 0.001); d.data_s(b"e" * 500); add(d.ack_c(), 0.001)
    d.fin_s(); add(d.fin_c(), 0.001); d.ack_s()
    rep("226 ok")

# RETR aborted: the server's last 700 bytes are not captured but
# acknowledged, the client resets; 426: 1700 bytes, no FIN.
def retr_abort_tail_lost(add, cmd, rep):
    cmd("PASV"); rep(p227(40006)); cmd("RETR abort")
    d = pc(51006, 40006); add(d.handshake(), 0.001); rep("150 ok")
    add(d.data_s(b"f" * 1000), 0.001); d.data_s(b"f" * 700); add(d.ack_c(), 0.001)
    add(d._frame(True, RST | ACK), 0.001)
    rep("426 Connection closed; transfer aborted.")

# RETR: the server sends 226 once the file is in its socket buffer; the
# second 1000 bytes leave 3 s later (retransmission timeout), then the FIN:
# 2000 bytes, ending at the client's last ACK.
def retr_after_226(add, cmd, rep):
    cmd("PASV"); rep(p227(40007)); cmd("RETR slow")
    d = pc(51007, 40007); add(d.handshake(), 0.001); rep("150 ok")
    add(d.data_s(b"g" * 1000), 0.010)
    rep("226 Transfer complete", 0.010)
    add(d.data_s(b"g" * 1000), 3.000)
    add(d.fin_s(), 0.010); add(d.ack_c(), 0.001); add(d.fin_c(), 0.001); add(d.ack_s(), 0.001)

out = sys.argv[2]
capture([(50002, stor_head_lost), (50003, retr_tail_lost), (50004, retr_oneway), (50005, retr_abort_tail_lost)],
        os.path.join(out, "data-lost-edges.pcap"))
capture([(50006, retr_after_226)], os.path.join(out, "data-after-226.pcap"))
