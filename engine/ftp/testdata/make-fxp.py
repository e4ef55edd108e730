#!/usr/bin/env python3
"""Writes fxp.pcap (engine/ftp TestFXP):
python3 make-fxp.py /work/shared/samples/edge OUTDIR

A server-to-server ("third party", RFC 959 §2.3 and §5.2 figure 3, FXP)
transfer seen from the client's side: the client sends PASV to server A
(198.51.100.20), gives A's address and port to server B (203.0.113.30)
with PORT, then STOR f.bin to A and RETR f.bin to B; B connects from
port 20 to A:40202 and sends 900 bytes."""
import os, sys
sys.path.insert(0, sys.argv[1])
from pcapgen import *  # noqa

C, A, B = "192.0.2.10", "198.51.100.20", "203.0.113.30"
tl = Timeline()
def add(frames, dt=0.010):
    tl.add(frames, round(dt * 1e6))
ca = TcpConn(C, 50030, A, 21, cisn=0x1000, sisn=0x8000)
cb = TcpConn(C, 50031, B, 21, cisn=0x2000, sisn=0x9000)
def cmd(c, t): add(c.data_c(t.encode() + b"\r\n"))
def rep(c, t, dt=0.004): add(c.data_s(t.encode() + b"\r\n"), dt)
for c in (ca, cb):
    add(c.handshake(), 0.001)
    rep(c, "220 ready"); cmd(c, "USER bob"); rep(c, "331 pw"); cmd(c, "PASS x"); rep(c, "230 ok")
    cmd(c, "TYPE I"); rep(c, "200 Type set to I")
cmd(ca, "PASV"); rep(ca, "227 Entering Passive Mode (198,51,100,20,157,10)")  # A listens on 40202
cmd(cb, "PORT 198,51,100,20,157,10"); rep(cb, "200 PORT command successful")
cmd(ca, "STOR f.bin")
cmd(cb, "RETR f.bin")
d = TcpConn(B, 20, A, 40202, cisn=0x70000, sisn=0x80000)  # B initiates to A
add(d.handshake(), 0.001)
rep(ca, "150 Ok to send data"); rep(cb, "150 Opening BINARY mode data connection")
add(d.data_c(b"f" * 900), 0.002); add(d.ack_s(), 0.001)
add(d.close_from_client(), 0.001)
rep(cb, "226 Transfer complete"); rep(ca, "226 Transfer complete")
for c in (ca, cb):
    cmd(c, "QUIT"); rep(c, "221 bye")
    add(c.close_from_server(), 0.001)
write_pcap(os.path.join(sys.argv[2], "fxp.pcap"), tl.records)
