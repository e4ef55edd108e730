package enrich

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/fsync"
)

// Table is the name of the addresses table (folder and view).
const Table = "addresses"

// TableDoc says what an addresses row is, for the reference
// (docs/tables.md, `tmonbench query --schema`).
const TableDoc = "one address of the other tables, qualified by `tmonbench rollup` or `tmonbench enrich` (queries/enrich): the organisation's activity and location from enrich.networks, country, city and autonomous system from geoip databases, the DNS name from a reverse look-up; empty or NULL: unknown"

// Address is one row of the addresses table. Empty strings and NULLs mean
// unknown.
type Address struct {
	Address     string `parquet:"address"`           // as written in the other tables (canonical text form)
	Activity    string `parquet:"activity,dict"`     // from the longest matching enrich.networks entry
	Location    string `parquet:"location,dict"`     // idem
	Network     string `parquet:"network,dict"`      // that entry's CIDR; "" outside the organisation
	Country     string `parquet:"country,dict"`      // ISO 3166-1 alpha-2 code, e.g. "DE"
	CountryName string `parquet:"country_name,dict"` // English name
	City        string `parquet:"city,dict"`         // English name
	ASN         *int64 `parquet:"asn,optional"`      // autonomous system number
	ASOrg       string `parquet:"as_org,dict"`       // autonomous system organisation
	DNSName     string `parquet:"dns_name"`          // first PTR name, without the final dot
	// when the name was looked up (wall clock); NULL when never.
	// A failed look-up keeps dns_name empty and is retried after the
	// refresh period, like a found name.
	DNSTime *int64 `parquet:"dns_time,optional,timestamp(nanosecond:local)"`
	// the databases that knew the address: "file
	// (database_type)", joined with "; ".
	GeoSource string `parquet:"geo_source,dict"`
	// the build date of the oldest of those databases
	GeoBuildDate *int32 `parquet:"geo_build_date,optional,date"`
}

// Network is one organisation range (engine/config Network, parsed).
type Network struct {
	Prefix   netip.Prefix
	Activity string
	Location string
}

// Options say how to qualify addresses.
type Options struct {
	Networks []Network
	GeoIP    []string    // .mmdb paths, in order of preference
	DNS      *DNSOptions // nil: no reverse DNS
	// Now is the wall-clock time recorded as dns_time and compared with
	// the cached ones.
	Now time.Time
}

// Result says what Build did.
type Result struct {
	Addresses  int      // rows written
	InNetworks int      // addresses in a configured network
	Geo        int      // addresses some database knew
	DNSLookups int      // look-ups made (cache misses and refreshes)
	DNSNames   int      // rows with a DNS name
	DNSKept    int      // of those, names carried over from the previous table (not looked up now)
	Databases  []string // the databases opened, "file (type, built DATE)"
	Path       string
}

// sources are the address columns of each table.
var sources = map[string][]string{
	observe.TableFlows:          {"src_addr", "dst_addr"},
	observe.TableTCPConnections: {"client_addr", "server_addr"},
	observe.TableRTTSamples:     {"client_addr", "server_addr"},
	observe.TableFTPSessions:    {"client_addr", "server_addr"},
	observe.TableFTPTransfers:   {"data_src_addr", "data_dst_addr"},
}

// Build writes the addresses table of the output outDir, whose views db
// shows (queries.Open). It replaces a previous addresses table, keeping its
// DNS names younger than the refresh period.
func Build(ctx context.Context, db *sql.DB, outDir string, opt Options) (*Result, error) {
	addrs, err := distinctAddresses(ctx, db)
	if err != nil {
		return nil, err
	}
	geo, err := openGeo(opt.GeoIP)
	if err != nil {
		return nil, err
	}
	defer geo.close()
	cache, err := readCache(ctx, db)
	if err != nil {
		return nil, err
	}
	res := &Result{Databases: geo.describe()}
	nets := newMatcher(opt.Networks)
	rows := make([]Address, len(addrs))
	var lookups []int
	for i, s := range addrs {
		r := &rows[i]
		r.Address = s
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue // not an address (a name or a placeholder): kept, unqualified
		}
		a = a.Unmap()
		if n, ok := nets.match(a); ok {
			r.Activity, r.Location, r.Network = n.Activity, n.Location, n.Prefix.String()
			res.InNetworks++
		}
		if geo.lookup(a, r) {
			res.Geo++
		}
		if c, ok := cache[s]; ok {
			r.DNSName, r.DNSTime = c.name, c.time
		}
		if opt.DNS != nil && (r.DNSTime == nil || opt.Now.Sub(time.Unix(0, *r.DNSTime)) >= opt.DNS.Refresh) {
			lookups = append(lookups, i)
		}
	}
	if opt.DNS != nil && len(lookups) > 0 {
		if err := resolveAll(ctx, *opt.DNS, rows, lookups, opt.Now); err != nil {
			return nil, err
		}
		res.DNSLookups = len(lookups)
	}
	looked := make(map[int]bool, len(lookups))
	for _, i := range lookups {
		looked[i] = true
	}
	for i := range rows {
		if rows[i].DNSName != "" {
			res.DNSNames++
			if !looked[i] {
				res.DNSKept++
			}
		}
	}
	res.Addresses = len(rows)
	res.Path, err = write(outDir, rows)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// distinctAddresses lists the addresses of every table present, sorted.
func distinctAddresses(ctx context.Context, db *sql.DB) ([]string, error) {
	views, err := viewNames(ctx, db)
	if err != nil {
		return nil, err
	}
	var parts []string
	tables := make([]string, 0, len(sources))
	for t := range sources {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		if !views[t] {
			continue
		}
		for _, c := range sources[t] {
			parts = append(parts, fmt.Sprintf("SELECT %s AS a FROM %s", ident(c), ident(t)))
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	q := "SELECT DISTINCT a FROM (" + strings.Join(parts, " UNION ALL ") + ") WHERE a IS NOT NULL AND a <> '' ORDER BY a"
	var out []string
	var a string
	if err := queryRows(ctx, db, q, "", func() { out = append(out, a) }, &a); err != nil {
		return nil, err
	}
	return out, nil
}

// queryRows runs the query q and, for each row, scans it into dest and
// calls row. Errors of the query and the scans wrap as "enrich: "+what.
func queryRows(ctx context.Context, db *sql.DB, q, what string, row func(), dest ...any) error {
	rs, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("enrich: %s%w", what, err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return fmt.Errorf("enrich: %s%w", what, err)
		}
		row()
	}
	return rs.Err()
}

// viewNames returns the user views of db.
func viewNames(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	v := map[string]bool{}
	var n string
	if err := queryRows(ctx, db, "SELECT view_name FROM duckdb_views() WHERE NOT internal", "", func() { v[n] = true }, &n); err != nil {
		return nil, err
	}
	return v, nil
}

// cached is a DNS answer kept from a previous addresses table.
type cached struct {
	name string
	time *int64
}

// readCache reads address -> DNS name and time from the previous table.
func readCache(ctx context.Context, db *sql.DB) (map[string]cached, error) {
	views, err := viewNames(ctx, db)
	if err != nil || !views[Table] {
		return map[string]cached{}, err
	}
	c := map[string]cached{}
	var a, n string
	var t int64
	q := "SELECT address, dns_name, epoch_ns(dns_time) FROM addresses WHERE dns_time IS NOT NULL"
	if err := queryRows(ctx, db, q, "read the previous addresses table: ", func() {
		tt := t // a time of its own per entry
		c[a] = cached{name: n, time: &tt}
	}, &a, &n, &t); err != nil {
		return nil, err
	}
	return c, nil
}

// matcher finds the longest configured prefix holding an address.
type matcher struct {
	byLen map[int]map[netip.Prefix]Network
	lens  []int // prefix lengths present, longest first
}

func newMatcher(nets []Network) *matcher {
	m := &matcher{byLen: map[int]map[netip.Prefix]Network{}}
	for _, n := range nets {
		p := n.Prefix.Masked()
		n.Prefix = p
		l := p.Bits()
		if p.Addr().Is4() {
			l += 1000 // keep IPv4 and IPv6 lengths apart
		}
		if m.byLen[l] == nil {
			m.byLen[l] = map[netip.Prefix]Network{}
			m.lens = append(m.lens, l)
		}
		m.byLen[l][p] = n
	}
	sort.Sort(sort.Reverse(sort.IntSlice(m.lens)))
	return m
}

func (m *matcher) match(a netip.Addr) (Network, bool) {
	for _, l := range m.lens {
		bits := l
		if l >= 1000 {
			if !a.Is4() {
				continue
			}
			bits -= 1000
		} else if a.Is4() {
			continue
		}
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if n, ok := m.byLen[l][p]; ok {
			return n, true
		}
	}
	return Network{}, false
}

// write writes rows as <outDir>/addresses/part-00000.parquet, atomically
// (fsync.WriteFile: hidden temporary file, fsync, rename, folder fsync).
func write(outDir string, rows []Address) (string, error) {
	dir := filepath.Join(outDir, Table)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("enrich: %w", err)
	}
	final := filepath.Join(dir, "part-00000.parquet")
	err := fsync.WriteFile(final, func(f io.Writer) error {
		w := parquet.NewGenericWriter[Address](f, parquet.Compression(&parquet.Zstd), parquet.CreatedBy("tmonbench", "", ""))
		if _, err := w.Write(rows); err != nil {
			return err
		}
		return w.Close()
	})
	if err != nil {
		return "", fmt.Errorf("enrich: write %s: %w", final, err)
	}
	return final, nil
}

// ident makes s an SQL identifier.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
