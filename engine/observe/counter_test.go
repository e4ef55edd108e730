package observe

import "testing"

func TestCounterName(t *testing.T) {
	for in, want := range map[string]string{"TooLong": "too_long", "TSRingFull": "ts_ring_full", "IP": "ip", "NotIP": "not_ip",
		"AddrMismatch": "addr_mismatch", "BadAnnouncement": "bad_announcement",
		// ftp.Stats' EarlySYNs were early_sy_ns in the ftp_totals event (seen on
		// a probe -i run); the plural s stays with its acronym, as in the
		// tcp_connections column client_stray_syns.
		"EarlySYNs": "early_syns", "EarlySYNsDropped": "early_syns_dropped", "PDUsLost": "pdus_lost",
		// oneway.Stats' fields as the collector's oneway_totals wrote them
		// before it used CounterName (a '_' before each capital that
		// follows a non-capital).
		"NegativeDelays": "negative_delays", "RepeatsClassified": "repeats_classified",
		"DropRangesFull": "drop_ranges_full", "BadHop": "bad_hop", "FlowsExpired": "flows_expired"} {
		if got := CounterName(in); got != want {
			t.Errorf("CounterName(%s) = %s, want %s", in, got, want)
		}
	}
}
