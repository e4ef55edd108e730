package config

import (
	"errors"
	"strings"
	"testing"
)

func TestEnrich(t *testing.T) {
	c, err := Parse([]byte(`
enrich:
  networks:
    - {cidr: 192.0.2.0/25, activity: ADM, location: "Site 1 Internal"}
    - {cidr: 2001:db8:1::/48, activity: ENG, location: "Site 2 DMZ"}
  geoip: [dbip-city-lite.mmdb, dbip-asn-lite.mmdb]
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := c.Enrich
	if len(e.Networks) != 2 || e.Networks[1].Prefix().String() != "2001:db8:1::/48" || e.Networks[0].Location != "Site 1 Internal" || len(e.GeoIP) != 2 {
		t.Errorf("%+v", e)
	}
	if e.ReverseDNS.Enabled || e.ReverseDNS.RatePerS != 20 || e.ReverseDNS.TimeoutS != 2 || e.ReverseDNS.RefreshDays != 7 {
		t.Errorf("reverse DNS defaults %+v", e.ReverseDNS)
	}
	if Default().Enrich.ReverseDNS.Enabled {
		t.Error("reverse DNS on by default")
	}
	for _, c := range []struct{ yaml, want string }{
		{"enrich:\n  networks:\n    - {cidr: 10.0.0/8, activity: A}\n", "t.yaml:3:8: enrich.networks[0].cidr: \"10.0.0/8\" is not a CIDR"},
		{"enrich:\n  networks:\n    - {cidr: 10.0.0.0/8}\n", "t.yaml:3:7: enrich.networks[0]: give an activity"},
		{"enrich:\n  networks:\n    - {cidr: 10.0.0.0/8, activity: A}\n    - {cidr: 10.0.0.0/8, location: L}\n", "t.yaml:4:8: enrich.networks[1].cidr: 10.0.0.0/8 already given"},
		{"enrich:\n  networks:\n    - {cidr: 10.0.0.0/8, activity: A}\n    - {cidr: 10.1.2.3/8, location: L}\n", "t.yaml:4:8: enrich.networks[1].cidr: non-network bits set in \"10.1.2.3/8\""},
		{"enrich:\n  reverse_dns: {enabled: true, rate_per_s: -1}\n", "enrich.reverse_dns.rate_per_s: must be above 0"},
		{"enrich:\n  networks:\n    - {cidr: 10.0.0.0/8, activty: A}\n", "unknown field \"activty\""},
	} {
		_, err := Parse([]byte(c.yaml), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
}
