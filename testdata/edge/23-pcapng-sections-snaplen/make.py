#!/usr/bin/env python3
"""pcapng with two sections whose interfaces 0 and 1 differ in link type,
snap length and timestamp resolution (ids restart per section), with Simple
Packet Blocks, which belong to interface 0 of their section and are cut to
its snap length."""
import os, struct, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapgen import *  # noqa
from pcapgen import _block, _pad4

A, B = "192.0.2.230", "198.51.100.231"


def dgram(n, size=32):
    return ipv4(A, B, PROTO_UDP, udp(A, B, 54000 + n, 8000, b"sect-%04d" % n + bytes(size - 9)), ident=0x5000 + n)


def spb(data, orig_len=None):
    """Simple Packet Block: original length, then the packet (no interface id, no time)."""
    orig = len(data) if orig_len is None else orig_len
    return _block(0x00000003, struct.pack("<I", orig) + _pad4(data))


out = b""
out += pcapng_shb("section 1")
out += pcapng_idb(1, 0, "a0")                      # Ethernet, no snap length, 10^-6
out += pcapng_idb(101, 0, "a1", tsresol=9)         # raw IPv4, 10^-9
out += pcapng_epb(0, BASE_TS * 10**6 + 100, eth(dgram(1)))                # 1: a0
out += pcapng_epb(1, BASE_TS * 10**9 + 200300, dgram(2))                  # 2: a1, raw
out += spb(eth(dgram(3)))                                                 # 3: SPB: a0, whole
out += pcapng_shb("section 2")
out += pcapng_idb(101, 40, "b0", tsresol=3)        # raw IPv4, snap length 40, 10^-3
out += pcapng_idb(1, 0, "b1", tsresol=0x80 | 10)   # Ethernet, 2^-10
out += pcapng_epb(1, ((BASE_TS + 1) << 10) + 256, eth(dgram(4)))         # 4: b1, +1.25 s
out += spb(dgram(5)[:40], orig_len=len(dgram(5)))                         # 5: SPB: b0, its snap length 40 held
out += pcapng_epb(0, (BASE_TS + 2) * 1000 + 5, dgram(6)[:44], orig_len=len(dgram(6)))  # 6: b0, +2.005 s, 44 bytes: over its snap length

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "input.pcapng"), "wb") as f:
    f.write(out)
