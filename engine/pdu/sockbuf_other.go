//go:build !linux

package pdu

import "net"

// setSocketBuffers asks for n bytes of receive and send buffer on conn and
// returns the receive buffer asked for (the kernel may cap it).
func setSocketBuffers(conn *net.UDPConn, n int) int {
	conn.SetReadBuffer(n)
	conn.SetWriteBuffer(n)
	return n
}
