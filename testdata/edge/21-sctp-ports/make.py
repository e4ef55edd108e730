"""SCTP ports for the sieve against tcpdump's `port` and `sctp port` (libpcap
includes SCTP in `port` and `portrange`; RFC 9260 §3.1: the common header's
first four bytes are the source and destination ports, as TCP's and UDP's).

Writes input.pcap beside this file (standard library only; `python3 make.py`
rewrites it byte for byte). Documentation addresses (RFC 5737, RFC 3849),
locally administered MACs; the SCTP checksums are CRC32c (RFC 9260 App. B).
"""

import os
import struct


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def sctp(sp, dp):
    # common header and one DATA chunk (RFC 9260 §3.3.1) with 4 bytes of data
    chunk = struct.pack("!BBHIHHI", 0, 3, 16 + 4, 1, 0, 0, 0) + b"ping"
    hdr = struct.pack("!HHII", sp, dp, 0x11223344, 0) + chunk
    return hdr[:8] + struct.pack("<I", crc32c(hdr)) + hdr[12:]


A, B, C = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]), bytes([192, 0, 2, 3])


def ip4(proto, payload, src=A, dst=B):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ip6(nh, payload):
    a = bytes.fromhex("20010db8000000000000000000000001")
    b = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64, a, b) + payload


def eth(etype, p):
    return bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + struct.pack("!H", etype) + p


udp = lambda sp, dp: struct.pack("!HHHH", sp, dp, 12, 0) + b"ping"
tcp = lambda sp, dp: struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 0x50, 0x02, 1024, 0, 0)

frames = [
    (eth(0x0800, ip4(132, sctp(9, 5000)))),  # 1 SCTP src port 9
    (eth(0x0800, ip4(132, sctp(5000, 9)))),  # 2 SCTP dst port 9
    (eth(0x86DD, ip6(132, sctp(9, 5001)))),  # 3 SCTP over IPv6, src port 9
    (eth(0x0800, ip4(132, sctp(7000, 7001)))),  # 4 SCTP, other ports
    (eth(0x0800, ip4(17, udp(9, 6000)))),  # 5 UDP src port 9
    (eth(0x0800, ip4(6, tcp(6001, 9)))),  # 6 TCP dst port 9
    (eth(0x0800, ip4(132, sctp(9, 5000)))),  # 7 as 1, cut by the snap length after the ports
    (eth(0x0800, ip4(132, sctp(5000, 9), src=C))),  # 8 SCTP dst port 9, another host
]
caplen = {7: 14 + 20 + 4}

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "input.pcap"), "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, f in enumerate(frames, 1):
        n = caplen.get(i, len(f))
        out.write(struct.pack("<IIII", 1700000000 + i, 0, n, len(f)) + f[:n])
