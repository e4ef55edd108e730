package pdu

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestEffectiveCollector: the effective collector entry (config
// --effective) states every regulation value the sender runs with: no
// zero left for a field the config leaves out, the config's own values
// kept, and the same SenderConfig from either.
func TestEffectiveCollector(t *testing.T) {
	for _, c := range []config.Collector{
		{Name: "empty"},
		{Name: "set", MaxPDUBytes: 900, MaxBuildS: 0.5, MinGapMs: 3, InitialTimeoutS: 4, MaxRetries: 7, HeartbeatS: 20, BacklogS: 60},
	} {
		e := EffectiveCollector(c)
		if e.MaxPDUBytes == 0 || e.MaxBuildS == 0 || e.InitialTimeoutS == 0 || e.TimeoutIncrementS == 0 || e.TimeoutMultiplier == 0 ||
			e.MaxRetries == 0 || e.FinalTimeoutS == 0 || e.BreakBorderS == 0 || e.HeartbeatS == 0 || e.BacklogS == 0 {
			t.Errorf("%s: a zero is left: %+v", c.Name, e)
		}
		if a, b := SenderConfigFor(c), SenderConfigFor(e); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the sender runs %+v from the config, %+v from the effective entry", c.Name, a, b)
		}
		if c.Name == "set" && (e.MaxPDUBytes != 900 || e.MaxRetries != 7 || e.HeartbeatS != 20 || e.MinGapMs != 3) {
			t.Errorf("set values changed: %+v", e)
		}
	}
}

// TestEventPrefixNamesCollectorOnce: the collector a message is about is
// named once: replay's collector, named "collector", read "collector
// collector: PDU 1 (hello) unacknowledged ...".
func TestEventPrefixNamesCollectorOnce(t *testing.T) {
	for name, want := range map[string]string{"": "", "collector": "collector: ", "central": "collector central: "} {
		s := &Sender{cfg: SenderConfig{Collector: name}}
		if got := s.prefix(); got != want {
			t.Errorf("collector %q: prefix %q, want %q", name, got, want)
		}
	}
}
