package probe

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/reasm"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// TestTableDefaults: the config's tcp_table, ftp_table and reassembly
// defaults (default.yaml, and every file that leaves them out) are the
// analysers' documented DefaultConfig, so a probe runs the same with or
// without the sections; a file's values reach the analysers.
func TestTableDefaults(t *testing.T) {
	for _, c := range []*config.Config{config.Default(), mustParse(t, "interval_s: 10\n")} {
		if got := tcpconn.FromTable(c.TCPTable); got != tcpconn.DefaultConfig() {
			t.Errorf("%s: tcp_table %+v, tcpconn.DefaultConfig %+v", c.File(), got, tcpconn.DefaultConfig())
		}
		if got := ftp.FromTable(c.FTPTable); got != ftp.DefaultConfig() {
			t.Errorf("%s: ftp_table %+v, ftp.DefaultConfig %+v", c.File(), got, ftp.DefaultConfig())
		}
		if got := reasm.FromTable(c.Reassembly); got != reasm.DefaultConfig() {
			t.Errorf("%s: reassembly %+v, reasm.DefaultConfig %+v", c.File(), got, reasm.DefaultConfig())
		}
	}
	c := mustParse(t, "tcp_table: {max_connections: 100, idle_timeout_s: 300}\nftp_table: {max_sessions: 8, linger_s: 0.5}\nreassembly: {timeout_s: 60, max_fragments: 64}\n")
	tc, fc, rc := tcpconn.FromTable(c.TCPTable), ftp.FromTable(c.FTPTable), reasm.FromTable(c.Reassembly)
	if tc.MaxConns != 100 || tc.IdleTimeoutNs != 300e9 || tc.CloseDelayNs != 5e9 || fc.MaxSessions != 8 || fc.LingerNs != 5e8 ||
		fc.MaxExpected != 16384 || rc.TimeoutNs != 60e9 || rc.MaxFragments != 64 || rc.MaxDatagrams != 1024 {
		t.Errorf("file values: tcp %+v, ftp %+v, reasm %+v", tc, fc, rc)
	}
	for _, v := range []error{tc.Validate(), fc.Validate(), rc.Validate()} {
		if v != nil {
			t.Error(v)
		}
	}
}

func mustParse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
