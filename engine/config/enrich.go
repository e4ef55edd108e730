package config

import (
	"fmt"
	"net/netip"

	"go.yaml.in/yaml/v3"
)

// Enrich says how addresses are qualified in the addresses table (design
// 1.13, 5.2, 7): the organisation's networks by Activity and Location, the
// others by country, city and AS from MaxMind-format databases, and
// optionally by reverse DNS. It is used by `tmonbench enrich`, `rollup`
// and `report`, never by probes or collectors.
type Enrich struct {
	// Networks map address ranges to an Activity (business unit, mission)
	// and a Location (site, LAN segment, DMZ); the longest matching prefix
	// wins.
	Networks []Network `yaml:"networks"`
	// GeoIP lists MaxMind-format databases (.mmdb: DB-IP Lite country,
	// city or ASN; IPinfo Lite; GeoLite2), by path. Each fills the fields
	// it has; none is shipped with tmonbench.
	GeoIP []string `yaml:"geoip"`
	// ReverseDNS looks up a name for each address; off by default.
	ReverseDNS ReverseDNS `yaml:"reverse_dns"`
}

// Network is one range of the organisation's addresses.
type Network struct {
	CIDR     string `yaml:"cidr"`     // e.g. 10.1.0.0/16 or 2001:db8:1::/48
	Activity string `yaml:"activity"` // e.g. ADM, ENG, PROD
	Location string `yaml:"location"` // e.g. "Site 1 Internal", "Site 2 DMZ"

	line int
}

// UnmarshalYAML records the network's line for error messages.
func (n *Network) UnmarshalYAML(v *yaml.Node) error {
	type plain Network // without this method
	*n = Network{}
	return decodeAt(v, (*plain)(n), &n.line)
}

// Prefix returns the parsed, masked CIDR (valid after Validate).
func (n *Network) Prefix() netip.Prefix {
	p, _ := netip.ParsePrefix(n.CIDR)
	return p.Masked()
}

// ReverseDNS tunes reverse DNS look-ups (design 5.3). Names are cached in
// the addresses table and looked up again only after RefreshDays.
type ReverseDNS struct {
	Enabled     bool    `yaml:"enabled"`      // default false: no DNS traffic
	RatePerS    float64 `yaml:"rate_per_s"`   // look-ups started per second, above 0 and at most 1000; 0 or absent: 20
	TimeoutS    float64 `yaml:"timeout_s"`    // per look-up, above 0 and at most 60; 0 or absent: 2
	RefreshDays float64 `yaml:"refresh_days"` // age after which a cached name is looked up again, above 0; 0 or absent: 7
}

// applyDefaults fills the reverse DNS defaults.
func (e *Enrich) applyDefaults() {
	if e.ReverseDNS.RatePerS == 0 {
		e.ReverseDNS.RatePerS = 20
	}
	if e.ReverseDNS.TimeoutS == 0 {
		e.ReverseDNS.TimeoutS = 2
	}
	if e.ReverseDNS.RefreshDays == 0 {
		e.ReverseDNS.RefreshDays = 7
	}
}

// validate checks the networks' CIDRs and the DNS numbers; lineOf gives
// the line of a field (Config.lineOf).
func (e *Enrich) validate(file string, lineOf func(path, item string) int) error {
	seen := map[netip.Prefix]int{}
	for i, n := range e.Networks {
		f := fmt.Sprintf("enrich.networks[%d]", i)
		p, err := netip.ParsePrefix(n.CIDR)
		if err != nil {
			return &Error{File: file, Line: n.line, Field: f + ".cidr", Msg: fmt.Sprintf("%q is not a CIDR prefix such as 10.1.0.0/16", n.CIDR)}
		}
		if p != p.Masked() { // as the filters refuse net 10.0.0.1/8 (libpcap too)
			return &Error{File: file, Line: max(lineOf(f+".cidr", ""), n.line), Field: f + ".cidr", Msg: fmt.Sprintf("non-network bits set in %q (the network is %s)", n.CIDR, p.Masked())}
		}
		if n.Activity == "" && n.Location == "" {
			return &Error{File: file, Line: n.line, Field: f, Msg: "give an activity, a location or both"}
		}
		if j, dup := seen[p.Masked()]; dup {
			return &Error{File: file, Line: n.line, Field: f + ".cidr", Msg: fmt.Sprintf("%s already given in enrich.networks[%d]", p.Masked(), j)}
		}
		seen[p.Masked()] = i
	}
	r := e.ReverseDNS
	if !(r.RatePerS > 0 && r.RatePerS <= 1000) {
		return &Error{File: file, Line: lineOf("enrich.reverse_dns.rate_per_s", ""), Field: "enrich.reverse_dns.rate_per_s", Msg: fmt.Sprintf("must be above 0 and at most 1000 (0 or absent: 20), got %g", r.RatePerS)}
	}
	if !(r.TimeoutS > 0 && r.TimeoutS <= 60) {
		return &Error{File: file, Line: lineOf("enrich.reverse_dns.timeout_s", ""), Field: "enrich.reverse_dns.timeout_s", Msg: fmt.Sprintf("must be above 0 and at most 60 (0 or absent: 2), got %g", r.TimeoutS)}
	}
	if !(r.RefreshDays > 0) {
		return &Error{File: file, Line: lineOf("enrich.reverse_dns.refresh_days", ""), Field: "enrich.reverse_dns.refresh_days", Msg: fmt.Sprintf("must be above 0 (0 or absent: 7), got %g", r.RefreshDays)}
	}
	return nil
}
