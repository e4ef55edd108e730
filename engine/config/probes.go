package config

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Probe holds per-probe settings.
type Probe struct {
	// Name is the probe's name (in replay: --probe NAME or the file name).
	Name string `yaml:"name"`
	// ClockOffsetUs is subtracted from the probe's capture times in
	// one-way delays: a known offset of its clock, in microseconds
	// (design 1.2 assumes synchronised clocks).
	ClockOffsetUs float64 `yaml:"clock_offset_us"`
	// Key is the probe's shared secret: its PDUs and their
	// acknowledgements carry an HMAC-SHA256 tag under it, and collectors
	// accept observations only from configured probes with valid tags.
	// When any probe has a key, every probe needs one.
	Key string `yaml:"key"`
}

// ProbeID returns the probe's number on the wire (the PDU frame header),
// the one rule every engine uses: its position in Probes, from 1, for a
// listed probe; otherwise a hash of its name in [1024, 65535), so probes
// the config does not list need no coordination (ids up to 1023 are the
// listed ones: at most 65535 may be listed, but a listed probe beyond
// 1023 may share its id with an unlisted one).
func (c *Config) ProbeID(name string) uint16 {
	for i, p := range c.Probes {
		if p.Name == name {
			return uint16(i + 1)
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return uint16(1024 + h.Sum32()%(65535-1024))
}

// ProbeKey returns the probe's shared key, nil when it has none.
func (c *Config) ProbeKey(name string) []byte {
	for _, p := range c.Probes {
		if p.Name == name && p.Key != "" {
			return []byte(p.Key)
		}
	}
	return nil
}

// ProbeUnlisted refuses a probe name the probes list leaves out when the
// list has keys: the collector then authenticates every PDU, and the
// probe, without a key, would have each one refused (an in-process run
// used to end with empty tables). how is the way the command in use
// names its probe, for the message ("replay --probe NAME=FILE", "live
// --name NAME", "probe --name NAME"). nil when the name is listed with a
// key or no probe has one.
func (c *Config) ProbeUnlisted(name, how string) error {
	if len(c.ProbeKeys()) == 0 || c.ProbeKey(name) != nil {
		return nil
	}
	return fmt.Errorf("probe %q is not in the probes list of %s (%s), whose keys authenticate every PDU: the collector would refuse all its observations; run it under a listed name (%s) or list it with a key",
		name, c.File(), c.probeNames(), how)
}

// ProbeListed is ProbeUnlisted for a probe process (tmonbench probe),
// whose collectors are processes of their own: such a collector accepts
// only the probes its config lists, keys or not, and refuses every PDU of
// another (counted as "probe not in the config"), so the run would be
// lost. It refuses a name the list leaves out; nil when the name is
// listed or the config lists no probe (the collector then runs with
// --any-probe, or not at all).
func (c *Config) ProbeListed(name, how string) error {
	if err := c.ProbeUnlisted(name, how); err != nil || len(c.Probes) == 0 {
		return err
	}
	for _, p := range c.Probes {
		if p.Name == name {
			return nil
		}
	}
	return fmt.Errorf("probe %q is not in the probes list of %s (%s): a collector on this config accepts only the probes it lists (unless run with --any-probe) and would refuse all its observations; run it under a listed name (%s) or list it (--unlisted runs it for a collector with --any-probe)",
		name, c.File(), c.probeNames(), how)
}

// probeNames lists the probes list's names, comma separated.
func (c *Config) probeNames() string {
	names := make([]string, len(c.Probes))
	for i, p := range c.Probes {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// ProbeKeys returns every listed probe's key by wire id (ProbeID), nil
// when no probe has one: what a collector verifies tags with.
func (c *Config) ProbeKeys() map[uint16][]byte {
	var keys map[uint16][]byte
	for _, p := range c.Probes {
		if p.Key != "" {
			if keys == nil {
				keys = map[uint16][]byte{}
			}
			keys[c.ProbeID(p.Name)] = []byte(p.Key)
		}
	}
	return keys
}
