#!/usr/bin/env python3
"""Writes passive-listener-reuse.pcap (engine/ftp TestPassiveListenerReuse):
python3 make-listener-reuse.py /work/shared/samples/edge OUTDIR

One PASV, then transfers without a new one: the server keeps its passive
listener on port 40192 open (RFC 959 §3.2, §4.1.1 PASV: the server-DTP
listens on the data port and waits; §3.3: the server closes the data
port only when the user changes the port specification), the client
connects to it again for each transfer, from a new port."""
import os, sys
sys.path.insert(0, sys.argv[1])
from pcapgen import *  # noqa

C, S = "192.0.2.10", "198.51.100.20"
tl = Timeline()
def add(frames, dt=0.010):
    tl.add(frames, round(dt * 1e6))
ctl = TcpConn(C, 50020, S, 21, cisn=0x1000, sisn=0x8000)
def cmd(t): add(ctl.data_c(t.encode() + b"\r\n"))
def rep(t, dt=0.004): add(ctl.data_s(t.encode() + b"\r\n"), dt)
def data(cport, sport, n, cisn, sisn):
    d = TcpConn(C, cport, S, sport, cisn=cisn, sisn=sisn)
    add(d.handshake(), 0.001); rep("150 Opening data connection")
    add(d.data_s(b"x" * n), 0.002); add(d.ack_c(), 0.001)
    add(d.close_from_server(), 0.001)
    rep("226 Transfer complete")
add(ctl.handshake(), 0.001)
rep("220 ready"); cmd("USER bob"); rep("331 pw"); cmd("PASS x"); rep("230 ok")
cmd("TYPE I"); rep("200 Type set to I")
cmd("PASV"); rep("227 Entering Passive Mode (198,51,100,20,157,0)")  # port 40192
cmd("LIST"); data(51001, 40192, 700, 0x10000, 0x20000)
cmd("RETR a.bin"); data(51002, 40192, 1200, 0x30000, 0x40000)   # no new PASV
cmd("RETR missing"); rep("550 No such file")                    # no data connection
cmd("PASV"); rep("227 Entering Passive Mode (198,51,100,20,157,1)")  # port 40193
cmd("RETR b.bin"); data(51003, 40193, 300, 0x50000, 0x60000)
cmd("QUIT"); rep("221 bye")
add(ctl.close_from_server(), 0.001)
write_pcap(os.path.join(sys.argv[2], "passive-listener-reuse.pcap"), tl.records)
