#!/usr/bin/env python3
"""pcapng with one section and two interfaces: eth0 (Ethernet) and wlan0
(IEEE 802.11, link type 105, which tmonbench does not decode), two packets
on each, interleaved. The 802.11 packets must be skipped and said to be, not
dropped silently."""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapgen import *  # noqa

A, B = "192.0.2.220", "198.51.100.230"


def dgram(n):
    return ipv4(A, B, PROTO_UDP, udp(A, B, 53000, 7000, b"probe-%04d" % n + bytes(22)), ident=0x4000 + n)


out = pcapng_shb("s1")
out += pcapng_idb(1, 0, "eth0", tsresol=9)
out += pcapng_idb(105, 0, "wlan0", tsresol=9)  # IEEE 802.11: unsupported
out += pcapng_epb(0, BASE_TS * 10**9 + 1000, eth(dgram(1)))
out += pcapng_epb(1, BASE_TS * 10**9 + 2000, bytes(60))
out += pcapng_epb(1, BASE_TS * 10**9 + 3000, bytes(60))
out += pcapng_epb(0, BASE_TS * 10**9 + 4000, eth(dgram(2)))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "input.pcapng"), "wb") as f:
    f.write(out)
