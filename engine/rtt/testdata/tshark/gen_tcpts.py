#!/usr/bin/env python3
"""Reference RTTM (RFC 7323 §4) samples for a capture, from tshark's own
decoding of the TCP timestamps option, for tcp_test.go.

  python3 gen_tcpts.py ../../../../../shared/samples/lab/tcp-mix/A.pcap > tcp-mix-A-tsrtt.tsv

tshark -r F -Y tcp.options.timestamp.tsval -T fields -e frame.time_epoch
  -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport
  -e tcp.options.timestamp.tsval -e tcp.options.timestamp.tsecr -e tcp.flags.ack

Rule, with no bound on remembered values: per direction, the first time of
every TSval greater (mod 2^32) than the previous one; a segment of the other
direction with ACK set whose TSecr equals a remembered value gives one
sample (echo time - first time), and forgets it and every older value.
Output: "# ..." lines, then sender addr:port, request time (Unix ns), RTT ns.
"""
import subprocess, sys

def lt(a, b):
    return ((a - b) & 0xffffffff) >= 0x80000000

def ns(s):
    sec, frac = s.split('.')
    return int(sec) * 10**9 + int((frac + '000000000')[:9])

path = sys.argv[1]
cmd = ['tshark', '-r', path, '-Y', 'tcp.options.timestamp.tsval', '-T', 'fields',
       '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'ip.dst',
       '-e', 'tcp.dstport', '-e', 'tcp.options.timestamp.tsval',
       '-e', 'tcp.options.timestamp.tsecr', '-e', 'tcp.flags.ack']
out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
dirs = {}
print('# tshark -r ' + path.split('/samples/')[-1] + ' ' + ' '.join(cmd[3:]))
print('# sender\trequest_ns\trtt_ns')
for line in out.splitlines():
    t, src, sp, dst, dp, tsval, tsecr, ack = line.split('\t')
    now, me, other = ns(t), (src, sp, dst, dp), (dst, dp, src, sp)
    tsval, tsecr = int(tsval), int(tsecr)
    d = dirs.setdefault(me, {'last': None, 'q': []})
    if d['last'] is None or lt(d['last'], tsval):
        d['last'] = tsval
        d['q'].append((tsval, now))
    if ack not in ('1', 'True'):
        continue
    o = dirs.get(other)
    if not o:
        continue
    q = o['q']
    while q:
        v, t0 = q[0]
        if lt(tsecr, v):
            break
        q.pop(0)
        if v == tsecr:
            print(f'{dst}:{dp}\t{t0}\t{now - t0}')
            break
