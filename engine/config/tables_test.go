package config

import (
	"errors"
	"testing"
	"time"
)

// TestTablesValidate: out-of-range values of tcp_table, ftp_table and
// reassembly are refused with the field's name; 0 keeps the default.
func TestTablesValidate(t *testing.T) {
	for yaml, field := range map[string]string{
		"tcp_table: {max_connections: -1}\n":      "tcp_table.max_connections",
		"tcp_table: {idle_timeout_s: -5}\n":       "tcp_table.idle_timeout_s",
		"ftp_table: {linger_s: .nan}\n":           "ftp_table.linger_s",
		"ftp_table: {max_expected: -2}\n":         "ftp_table.max_expected",
		"reassembly: {max_fragments: 9000}\n":     "reassembly.max_fragments",
		"reassembly: {max_datagram_bytes: 100}\n": "reassembly.max_datagram_bytes",
		"reassembly: {timeout_s: 1e9}\n":          "reassembly.timeout_s",
		"reassembly: {ipv6_timeout_s: -1}\n":      "reassembly.ipv6_timeout_s",
	} {
		_, err := Parse([]byte(yaml), "t.yaml")
		var e *Error
		if !errors.As(err, &e) || e.Field != field {
			t.Errorf("%q: %v, want an error on %s", yaml, err, field)
		}
	}
	c, err := Parse([]byte("tcp_table: {max_connections: 0}\n"), "t.yaml")
	if err != nil || c.TCPTable.MaxConnections != 65536 {
		t.Errorf("max_connections 0: %v, %+v", err, c)
	}
}

// TestOrDefault: zero and negative fields take the default, positive ones
// stay, for integer, float and duration fields.
func TestOrDefault(t *testing.T) {
	n, m, f, d := 0, -3, 0.0, time.Duration(-1)
	keep := 7
	OrDefault(&n, 5)
	OrDefault(&m, 5)
	OrDefault(&f, 2.5)
	OrDefault(&d, time.Second)
	OrDefault(&keep, 5)
	if n != 5 || m != 5 || f != 2.5 || d != time.Second || keep != 7 {
		t.Errorf("got %d %d %v %v %d, want 5 5 2.5 1s 7", n, m, f, d, keep)
	}
}
