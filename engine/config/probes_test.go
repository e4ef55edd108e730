package config

import "testing"

// TestProbeListed: a probe process whose name the probes list leaves out
// is refused whether the list has keys or not (a trial's probe "X" ran
// against a keyless list and the collector refused every PDU: "probe not
// in the config"), and the message names the command in use (it said
// "replay --probe NAME=FILE, live --name NAME" to a user of tmonbench
// probe). Without a list any name runs (the collector needs --any-probe).
func TestProbeListed(t *testing.T) {
	for _, c := range []struct {
		yaml, name, want string
		keyed            bool // replay and live refuse it too
	}{
		{"probes: [{name: A}, {name: B}]\n", "X", `probe "X" is not in the probes list of d.yaml (A, B): a collector on this config accepts only the probes it lists (unless run with --any-probe) and would refuse all its observations; run it under a listed name (probe --name NAME) or list it (--unlisted runs it for a collector with --any-probe)`, false},
		{"probes: [{name: A, key: ka}, {name: B, key: kb}]\n", "X", `probe "X" is not in the probes list of d.yaml (A, B), whose keys authenticate every PDU: the collector would refuse all its observations; run it under a listed name (probe --name NAME) or list it with a key`, true},
		{"probes: [{name: A}, {name: B}]\n", "B", "", false},
		{"interval_s: 5\n", "X", "", false},
	} {
		cfg, err := Parse([]byte(c.yaml), "d.yaml")
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if err := cfg.ProbeListed(c.name, "probe --name NAME"); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%q, probe %s: %q; want %q", c.yaml, c.name, got, c.want)
		}
		// in process (replay, live) the collector takes an unlisted
		// probe when the list has no keys
		if err := cfg.ProbeUnlisted(c.name, "live --name NAME"); (err != nil) != c.keyed {
			t.Errorf("%q, probe %s: ProbeUnlisted %v", c.yaml, c.name, err)
		}
	}
}
