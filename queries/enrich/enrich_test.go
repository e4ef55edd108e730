package enrich

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/queries"
)

// writeMMDB builds a MaxMind-format database over documentation ranges
// (RFC 5737, RFC 3849) with mmdbwriter.
func writeMMDB(t *testing.T, path, dbType string, built time.Time, recs map[string]mmdbtype.Map) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, BuildEpoch: built.Unix(), IncludeReservedNetworks: true, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range recs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
}

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(en)}}
}

// testDBs writes a DB-IP-City-Lite-like, a DB-IP-ASN-Lite-like and an
// IPinfo-Lite-like database and returns their paths.
func testDBs(t *testing.T) []string {
	dir := t.TempDir()
	city := filepath.Join(dir, "dbip-city-lite.mmdb")
	asn := filepath.Join(dir, "dbip-asn-lite.mmdb")
	ipinfo := filepath.Join(dir, "ipinfo_lite.mmdb")
	cityRec := func(iso, country, c string) mmdbtype.Map {
		m := names(country)
		m["iso_code"] = mmdbtype.String(iso)
		return mmdbtype.Map{"country": m, "city": names(c)}
	}
	writeMMDB(t, city, "DBIP-City-Lite", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), map[string]mmdbtype.Map{
		"198.51.100.0/24":    cityRec("DE", "Germany", "Berlin"),
		"2001:db8:beef::/48": cityRec("FR", "France", "Paris"),
	})
	writeMMDB(t, asn, "DBIP-ASN-Lite (compat=GeoLite2-ASN)", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), map[string]mmdbtype.Map{
		"198.51.100.0/25": {"autonomous_system_number": mmdbtype.Uint32(64500), "autonomous_system_organization": mmdbtype.String("Example Transit")},
	})
	writeMMDB(t, ipinfo, "ipinfo_lite.mmdb", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), map[string]mmdbtype.Map{
		"203.0.113.0/24": {"country_code": mmdbtype.String("JP"), "country": mmdbtype.String("Japan"), "asn": mmdbtype.String("AS64501"), "as_name": mmdbtype.String("Example Cloud")},
	})
	return []string{city, asn, ipinfo}
}

// testOut writes an output whose flows and TCP connections name the test
// addresses.
func testOut(t *testing.T) string {
	out := filepath.Join(t.TempDir(), "tmon-out")
	r, err := store.BeginRun(out, store.Manifest{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	flows := []observe.Flow{
		{FlowID: 1, Probe: "p", Class: "all", SrcAddr: "192.0.2.10", DstAddr: "198.51.100.7", Protocol: 6, Packets: 10, Bytes: 1000},
		{FlowID: 2, Probe: "p", Class: "all", SrcAddr: "198.51.100.7", DstAddr: "192.0.2.10", Protocol: 6, Packets: 5, Bytes: 500},
		{FlowID: 3, Probe: "p", Class: "all", SrcAddr: "192.0.2.200", DstAddr: "203.0.113.9", Protocol: 17, Packets: 1, Bytes: 100},
		{FlowID: 4, Probe: "p", Class: "all", SrcAddr: "2001:db8:1::5", DstAddr: "2001:db8:beef::1", Protocol: 6, Packets: 2, Bytes: 200},
		{FlowID: 5, Probe: "p", Class: "dns", SrcAddr: "", DstAddr: "198.51.100.200", Protocol: 17, Packets: 2, Bytes: 200},
	}
	conns := []observe.TCPConnection{{Probe: "p", ConnID: 1, ClientAddr: "192.0.2.10", ServerAddr: "192.0.2.77"}}
	for _, err := range []error{second(store.Append(r, observe.TableFlows, flows)), second(store.Append(r, observe.TableTCPConnections, conns)), r.Finish()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func second(_ string, err error) error { return err }

// fakeResolver answers from a map, counts calls and records their times.
type fakeResolver struct {
	mu    sync.Mutex
	names map[string]string
	calls []time.Time
}

func (f *fakeResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, time.Now())
	if n, ok := f.names[addr]; ok {
		return []string{n + "."}, nil
	}
	return nil, errors.New("no such host")
}

var testNetworks = []Network{
	{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Activity: "ADM", Location: "Site 1 Internal"},
	{Prefix: netip.MustParsePrefix("192.0.2.128/25"), Activity: "PROD", Location: "Site 1 DMZ"},
	{Prefix: netip.MustParsePrefix("2001:db8:1::/48"), Activity: "ENG", Location: "Site 2 Internal"},
}

func build(t *testing.T, out string, opt Options) *Result {
	t.Helper()
	db, err := queries.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := Build(context.Background(), db, out, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// query runs q over the output out (testdb.Query).
func query(t *testing.T, out, q string) string { return testdb.Query(t, out, q) }

// TestAddresses: networks by longest prefix, three database layouts, the
// oldest build date, and the join to flows.
func TestAddresses(t *testing.T) {
	out := testOut(t)
	res := build(t, out, Options{Networks: testNetworks, GeoIP: testDBs(t)})
	if res.Addresses != 8 || res.InNetworks != 4 || res.Geo != 4 || res.DNSLookups != 0 || len(res.Databases) != 3 {
		t.Errorf("%+v", res)
	}
	if res.Databases[0] != "dbip-city-lite.mmdb (DBIP-City-Lite, built 2026-11-01)" {
		t.Errorf("databases %q", res.Databases)
	}
	got := query(t, out, `SELECT address, activity, location, network, country, country_name, city, asn, as_org, dns_name, dns_time, geo_source, geo_build_date FROM addresses ORDER BY address`)
	want := `192.0.2.10 ADM Site 1 Internal 192.0.2.0/24    <nil>   <nil>  <nil>
192.0.2.200 PROD Site 1 DMZ 192.0.2.128/25    <nil>   <nil>  <nil>
192.0.2.77 ADM Site 1 Internal 192.0.2.0/24    <nil>   <nil>  <nil>
198.51.100.200    DE Germany Berlin <nil>   <nil> dbip-city-lite.mmdb (DBIP-City-Lite) 2026-11-01 00:00:00 +0000 UTC
198.51.100.7    DE Germany Berlin 64500 Example Transit  <nil> dbip-city-lite.mmdb (DBIP-City-Lite); dbip-asn-lite.mmdb (DBIP-ASN-Lite (compat=GeoLite2-ASN)) 2026-10-01 00:00:00 +0000 UTC
2001:db8:1::5 ENG Site 2 Internal 2001:db8:1::/48    <nil>   <nil>  <nil>
2001:db8:beef::1    FR France Paris <nil>   <nil> dbip-city-lite.mmdb (DBIP-City-Lite) 2026-11-01 00:00:00 +0000 UTC
203.0.113.9    JP Japan  64501 Example Cloud  <nil> ipinfo_lite.mmdb (ipinfo_lite.mmdb) 2026-12-01 00:00:00 +0000 UTC
`
	if got != want {
		t.Errorf("addresses:\n%s\nwant:\n%s", got, want)
	}
	// The columns are those of the reference (docs/tables.md), with their types.
	var ref []string
	for _, d := range observe.DerivedTables {
		if d.Names[0] == Table {
			for _, c := range d.Columns {
				ref = append(ref, c.Name+" "+c.Type)
			}
		}
	}
	described := query(t, out, `SELECT column_name || ' ' || column_type FROM (DESCRIBE addresses)`)
	if want := strings.Join(ref, "\n") + "\n"; described != want {
		t.Errorf("DESCRIBE addresses:\n%s\nthe reference (observe.DerivedTables):\n%s", described, want)
	}
	// The join: bytes per local activity and peer country, both directions.
	got = query(t, out, `SELECT coalesce(s.activity, '') || coalesce(d.activity, ''), s.country || d.country, sum(bytes)
		FROM flows f JOIN addresses s ON s.address = f.src_addr JOIN addresses d ON d.address = f.dst_addr GROUP BY ALL ORDER BY ALL`)
	if want := "ADM DE 1500\nENG FR 200\nPROD JP 100\n"; got != want {
		t.Errorf("join:\n%s\nwant:\n%s", got, want)
	}
}

// TestReverseDNS: off unless asked; names from the injected resolver at the
// configured rate; cached in the table and refreshed after the period.
func TestReverseDNS(t *testing.T) {
	out := testOut(t)
	res := build(t, out, Options{})
	if res.DNSLookups != 0 || res.DNSNames != 0 {
		t.Fatalf("DNS without options: %+v", res)
	}
	r := &fakeResolver{names: map[string]string{"192.0.2.10": "ws10.adm.example", "198.51.100.7": "www.example.de"}}
	opt := Options{DNS: &DNSOptions{Resolver: r, RatePerS: 20, Timeout: time.Second, Refresh: 7 * 24 * time.Hour}, Now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	start := time.Now()
	res = build(t, out, opt)
	if res.DNSLookups != 8 || res.DNSNames != 2 || len(r.calls) != 8 {
		t.Fatalf("%+v, %d calls", res, len(r.calls))
	}
	// 8 starts at 20/s with a burst of 1: the last starts 7/20 s after the first.
	if el := r.calls[7].Sub(start); el < 300*time.Millisecond {
		t.Errorf("8 look-ups in %v at 20/s", el)
	}
	got := query(t, out, `SELECT address, dns_name, dns_time FROM addresses WHERE address IN ('192.0.2.10', '192.0.2.77') ORDER BY 1`)
	if want := "192.0.2.10 ws10.adm.example 2026-12-03 12:00:00 +0000 UTC\n192.0.2.77  2026-12-03 12:00:00 +0000 UTC\n"; got != want {
		t.Errorf("got\n%s want\n%s", got, want)
	}
	// A day later: every answer (found or not) is cached.
	opt.Now = opt.Now.Add(24 * time.Hour)
	if res = build(t, out, opt); res.DNSLookups != 0 || res.DNSNames != 2 || len(r.calls) != 8 {
		t.Errorf("cached: %+v, %d calls", res, len(r.calls))
	}
	// Without DNS options the cached names stay.
	if res = build(t, out, Options{}); res.DNSNames != 2 {
		t.Errorf("names lost without DNS: %+v", res)
	}
	// After the refresh period, looked up again.
	opt.Now = opt.Now.Add(7 * 24 * time.Hour)
	r.names["192.0.2.77"] = "printer.adm.example"
	if res = build(t, out, opt); res.DNSLookups != 8 || res.DNSNames != 3 {
		t.Errorf("refresh: %+v", res)
	}
}
