package ftp

import "testing"

// TestDataConnectionRetry: a data connection attempt refused by a reset
// (SYN, RST: nothing listens yet) is not the transfer's data connection;
// the next attempt is. Passive: the client's SYN from 50901 to the
// announced 40232 is reset, it connects again from 50902 and gets
// a.bin (1000 B). Active: the server's SYN from port 20 to the PORT
// 50452 is reset, it connects again from port 20 with a new ISN (555555)
// and sends b.bin (700 B). Before, each transfer kept the refused attempt:
// 0 B and the ports of the dead connection (passive), or no connection
// at all (active).
//
// testdata/data-retry.pcap (44 packets) was written with the edge samples'
// pcapgen.py; tcpdump -r it 'tcp[tcpflags] & (tcp-syn|tcp-rst) != 0 and
// not port 21' shows the two refused and the two accepted attempts.
func TestDataConnectionRetry(t *testing.T) {
	res := run(t, "testdata/data-retry.pcap", DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"RETR", "a.bin", DirServerToClient, ModePassive, "PASV", 1000, StatusComplete, 226, "192.0.2.10:50902", "198.51.100.20:40232"},
		{"RETR", "b.bin", DirServerToClient, ModeActive, "PORT", 700, StatusComplete, 226, "198.51.100.20:20", "192.0.2.10:50452"},
	})
}
