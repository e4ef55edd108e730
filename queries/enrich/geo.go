package enrich

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// geoDBs are the opened MaxMind-format databases, in order of preference.
type geoDBs []geoDB

type geoDB struct {
	r     *maxminddb.Reader
	name  string // "file (database_type)"
	built int32  // build date, days since 1970-01-01
}

// openGeo opens every database; an unreadable file is an error.
func openGeo(paths []string) (geoDBs, error) {
	var dbs geoDBs
	for _, p := range paths {
		r, err := maxminddb.Open(p)
		if err != nil {
			dbs.close()
			return nil, fmt.Errorf("enrich: geoip database %s: %w", p, err)
		}
		dbs = append(dbs, geoDB{
			r:     r,
			name:  fmt.Sprintf("%s (%s)", filepath.Base(p), r.Metadata.DatabaseType),
			built: int32(int64(r.Metadata.BuildEpoch) / 86400),
		})
	}
	return dbs, nil
}

// CheckGeoIP opens and closes every database of paths: a command checks
// them before it writes anything. An unreadable file is an error, as
// Build would give after the rollups are written.
func CheckGeoIP(paths []string) error {
	dbs, err := openGeo(paths)
	if err != nil {
		return err
	}
	dbs.close()
	return nil
}

func (g geoDBs) close() {
	for _, d := range g {
		d.r.Close()
	}
}

// describe lists the databases as "file (type, built YYYY-MM-DD)".
func (g geoDBs) describe() []string {
	var out []string
	for _, d := range g {
		out = append(out, fmt.Sprintf("%s, built %s)", strings.TrimSuffix(d.name, ")"), d.r.Metadata.BuildTime().UTC().Format("2006-01-02")))
	}
	return out
}

// lookup fills r's geographic fields from the first database that has
// each; it reports whether any database knew a.
func (g geoDBs) lookup(a netip.Addr, r *Address) bool {
	var srcs []string
	for _, d := range g {
		var rec map[string]any
		res := d.r.Lookup(a)
		if !res.Found() || res.Decode(&rec) != nil || len(rec) == 0 {
			continue
		}
		if !fill(rec, r) {
			continue
		}
		srcs = append(srcs, d.name)
		if r.GeoBuildDate == nil || d.built < *r.GeoBuildDate {
			b := d.built
			r.GeoBuildDate = &b
		}
	}
	r.GeoSource = strings.Join(srcs, "; ")
	return len(srcs) > 0
}

// fill copies the fields of one record into r where r has none yet. It
// reads both layouts: MaxMind/DB-IP (country.iso_code, country.names.en,
// city.names.en, autonomous_system_number, autonomous_system_organization)
// and IPinfo Lite (country_code, country, asn "AS123", as_name). It
// reports whether the record held any of them.
func fill(rec map[string]any, r *Address) bool {
	found := false
	set := func(dst *string, v string) {
		if v != "" {
			found = true
			if *dst == "" {
				*dst = v
			}
		}
	}
	switch c := rec["country"].(type) {
	case map[string]any:
		set(&r.Country, str(c["iso_code"]))
		set(&r.CountryName, name(c))
	case string:
		set(&r.CountryName, c)
	}
	set(&r.Country, str(rec["country_code"]))
	if c, ok := rec["city"].(map[string]any); ok {
		set(&r.City, name(c))
	} else {
		set(&r.City, str(rec["city"]))
	}
	asn := int64(-1)
	switch v := rec["autonomous_system_number"].(type) {
	case uint64:
		asn = int64(v)
	case uint32:
		asn = int64(v)
	case int64:
		asn = v
	}
	if s := str(rec["asn"]); s != "" {
		if n, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(s), "AS"), 10, 64); err == nil {
			asn = n
		}
	}
	if asn >= 0 {
		found = true
		if r.ASN == nil {
			r.ASN = &asn
		}
	}
	set(&r.ASOrg, str(rec["autonomous_system_organization"]))
	set(&r.ASOrg, str(rec["as_name"]))
	return found
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// name returns names.en of a MaxMind-style map.
func name(m map[string]any) string {
	if n, ok := m["names"].(map[string]any); ok {
		return str(n["en"])
	}
	return ""
}
