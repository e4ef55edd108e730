#!/usr/bin/env python3
"""Writes noop-during-transfer.pcap (engine/ftp tests):
python3 make-noop.py /work/shared/samples/edge OUTDIR

Keep-alive commands on the control connection during long transfers
(FluentFTP's NoopInterval, Cyberduck's FTP keep-alive, basic-ftp#16: NOOP,
STAT or PWD), answered by the server while the data still flow."""
import os, sys
sys.path.insert(0, sys.argv[1])
from pcapgen import *  # noqa

C, S = "192.0.2.10", "198.51.100.20"
tl = Timeline()
def add(frames, dt=0.010):
    tl.add(frames, round(dt * 1e6))
ctl = TcpConn(C, 50010, S, 21, cisn=0x1000, sisn=0x8000)
def cmd(t): add(ctl.data_c(t.encode() + b"\r\n"))
def rep(t, dt=0.004): add(ctl.data_s(t.encode() + b"\r\n"), dt)
add(ctl.handshake(), 0.001)
rep("220 ready"); cmd("USER bob"); rep("331 pw"); cmd("PASS x"); rep("230 ok")
cmd("TYPE I"); rep("200 Type set to I")

# RETR big: NOOP and PWD answered during the transfer, then 226: 4000 bytes.
cmd("PASV"); rep("227 Entering Passive Mode (198,51,100,20,156,65)"); cmd("RETR big")
d = TcpConn(C, 51001, S, 40001, cisn=0x30000, sisn=0x90000)
add(d.handshake(), 0.001); rep("150 Opening BINARY mode data connection")
add(d.data_s(b"a" * 1000), 0.5); add(d.ack_c(), 0.001)
cmd("NOOP"); rep("200 NOOP ok.")
add(d.data_s(b"a" * 1000), 0.5); add(d.ack_c(), 0.001)
cmd("PWD"); rep('257 "/" is current directory.')
add(d.data_s(b"a" * 2000), 0.5); add(d.ack_c(), 0.001)
add(d.close_from_server(), 0.001)
rep("226 Transfer complete")

# STOR up: a NOOP answered during the transfer, then the server fails: 451.
cmd("PASV"); rep("227 Entering Passive Mode (198,51,100,20,156,66)"); cmd("STOR up")
d = TcpConn(C, 51002, S, 40002, cisn=0x40000, sisn=0xA0000)
add(d.handshake(), 0.001); rep("150 Ok to send data")
add(d.data_c(b"b" * 1000), 0.5); add(d.ack_s(), 0.001)
cmd("NOOP"); rep("200 NOOP ok.")
add(d.data_c(b"b" * 500), 0.5); add(d._frame(False, RST | ACK), 0.001)
rep("451 Failure writing to local file.")
cmd("QUIT"); rep("221 bye")
add(ctl.close_from_server(), 0.001)
write_pcap(os.path.join(sys.argv[2], "noop-during-transfer.pcap"), tl.records)
