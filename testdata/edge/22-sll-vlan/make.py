#!/usr/bin/env python3
"""Linux cooked captures (LINKTYPE_LINUX_SLL 113, LINKTYPE_LINUX_SLL2 276) of
802.1Q / 802.1ad tagged frames, as libpcap writes them when it puts back the
tag the kernel took out: the cooked header's protocol field holds the TPID,
the TCI and the inner protocol follow the header. The same eight frames in
both files."""
import os, struct, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pcapgen import *  # noqa

A, B = "192.0.2.1", "192.0.2.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
ETH_ARP, ETH_QINQ = 0x0806, 0x88A8


def arp(spa, tpa):
    """ARP request (RFC 826), Ethernet hardware, IPv4 protocol addresses."""
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_IPV4, 6, 4, 1, MAC_A, ipaddress.ip_address(spa).packed,
                       bytes(6), ipaddress.ip_address(tpa).packed)


def tagged(tags, protocol, payload):
    """The cooked header's protocol and what follows the header: for each tag
    (tpid, vid), outermost first, the TCI and the next protocol."""
    if not tags:
        return protocol, payload
    rest = b""
    for i, (tpid, vid) in enumerate(tags):
        nxt = tags[i + 1][0] if i + 1 < len(tags) else protocol
        rest += struct.pack("!HH", vid & 0x0FFF, nxt)
    return tags[0][0], rest + payload


def sll1(protocol, rest):
    """LINKTYPE_LINUX_SLL (113) header, 16 bytes: to us, ARPHRD_ETHER."""
    return struct.pack("!HHH8sH", 0, 1, 6, MAC_A.ljust(8, b"\x00"), protocol) + rest


frames = [  # (tags outermost first, protocol, network layer)
    ((), ETH_IPV4, ipv4(A, B, PROTO_TCP, tcp(A, B, 40000, 80, 1000, 0, SYN))),                    # 1 untagged TCP SYN
    (((ETH_8021Q, 100),), ETH_IPV4, ipv4(A, B, PROTO_TCP, tcp(A, B, 40001, 80, 2000, 0, SYN))),   # 2 VLAN 100, TCP SYN
    (((ETH_8021Q, 100),), ETH_IPV4, ipv4(B, A, PROTO_UDP, udp(B, A, 5000, 6000, b"u" * 8))),      # 3 VLAN 100, UDP
    (((ETH_QINQ, 200), (ETH_8021Q, 100)), ETH_IPV4, ipv4(A, B, PROTO_UDP, udp(A, B, 6000, 5000, b"q" * 8))),  # 4 S-tag 200, C-tag 100, UDP
    (((ETH_8021Q, 100),), ETH_ARP, arp(A, B)),                                                   # 5 VLAN 100, ARP
    (((ETH_8021Q, 300),), ETH_IPV6, ipv6(A6, B6, PROTO_UDP, udp(A6, B6, 1024, 33333, b"6" * 8))),  # 6 VLAN 300, IPv6 UDP
    ((), ETH_IPV6, ipv6(B6, A6, PROTO_UDP, udp(B6, A6, 33333, 1024, b"6" * 8))),                   # 7 untagged IPv6 UDP
    ((), ETH_ARP, arp(B, A)),                                                                     # 8 untagged ARP
]

here = os.path.dirname(os.path.abspath(__file__))
for name, linktype, link in (("input-sll.pcap", 113, sll1),
                             ("input-sll2.pcap", 276, lambda p, rest: sll2(rest, p, ifindex=2))):
    records = [((BASE_TS, i * 1000), link(*tagged(t, p, l3))) for i, (t, p, l3) in enumerate(frames)]
    write_pcap(os.path.join(here, name), records, linktype=linktype)
