package tui

import (
	"testing"

	"github.com/tmonbench/tmonbench/queries"
)

// TestOnewayEmptySaysWhy: the One-way screen of an output whose
// configuration runs no oneway analysis (the default one, on the lab's
// dns-snmp-ntp A capture) says why its table is empty, in the words
// `tmonbench query oneway` prints (Options.Empty, which the command fills
// from run.json: emptyReasons), where it said "(no rows)" alone (a trial);
// without a reason it still says "(no rows)".
func TestOnewayEmptySaysWhy(t *testing.T) {
	out := replayed(t, "lab/dns-snmp-ntp/A.pcap")
	m, press, expect := screenModel(t, out)
	press("6")
	expect("no reason", "(no rows)")
	why := "no class of the configuration that wrote " + out + " runs the oneway analysis (add \"oneway\" to a class's analyses)"
	m.e.empty = queries.EmptyReasons{"oneway_delays": why}
	expect("a reason", "(oneway_delays is empty: no class of the configuration that wrote")
}
