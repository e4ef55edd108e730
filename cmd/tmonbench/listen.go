package main

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// hostPort checks the form of a host:port address (a port number or
// service name in range; "" is none given): a *net.AddrError when it
// cannot be one, nil otherwise, without resolving the host.
func hostPort(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = net.LookupPort("udp", port)
	}
	return err
}

// listenErr says why the collector cannot listen on addr: the cause once
// ("bind: address already in use", not "listen udp ADDR: bind: ..."),
// and, for a port taken, what to do. A --listen (flag set) that is no
// address (a port out of range, none) is a usage error, exit status 2; a
// port taken or an address this host lacks stays 1.
func listenErr(addr string, err error, flag bool) error {
	if ae := (*net.AddrError)(nil); flag && errors.As(err, &ae) {
		return usageErr("collector: listen %s: %w", addr, err)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("collector: listen %s: %w (another collector, or another program, listens there: stop it, or choose another --listen and collectors[].address)", addr, err)
	}
	return fmt.Errorf("collector: listen %s: %w", addr, err)
}
