package queries

import (
	"database/sql"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// tzChild marks the child process TestTimeZoneUTC starts with TZ set.
const tzChild = "TMONBENCH_TZ_CHILD"

// TestTimeZoneUTC (issue 9.4): under TZ=Europe/Brussels (UTC+1 in
// November), Open's connections still run with DuckDB's TimeZone set to
// UTC: casting a stored instant to TIMESTAMPTZ does not shift it by an
// hour, AT TIME ZONE converts from UTC, and the nanoseconds survive
// epoch_ns and a cast to text. A plain DuckDB connection in the same
// process does take Brussels (so the test would see a missing setting).
func TestTimeZoneUTC(t *testing.T) {
	if os.Getenv(tzChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTimeZoneUTC$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "TZ=Europe/Brussels", tzChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestTimeZoneUTC") {
			t.Fatalf("child with TZ=Europe/Brussels: %v\n%s", err, out)
		}
		return
	}
	if _, off := time.Unix(1700000000, 0).In(time.Local).Zone(); off != 3600 {
		t.Fatalf("child: local offset %d s, want 3600 (TZ=Europe/Brussels)", off)
	}
	plain, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if r := run(t, plain, "SELECT current_setting('TimeZone')").Rows[0][0]; r != "Europe/Brussels" {
		t.Fatalf("a plain DuckDB connection has TimeZone %v: the child does not exercise a local zone", r)
	}
	db := openTest(t)
	res := run(t, db, `SELECT current_setting('TimeZone'), epoch_ns(first_seen), first_seen::VARCHAR,
		epoch_us(first_seen::TIMESTAMPTZ), strftime(first_seen::TIMESTAMPTZ, '%H:%M'),
		(first_seen::TIMESTAMPTZ AT TIME ZONE 'Europe/Brussels')::VARCHAR,
		date_trunc('day', first_seen::TIMESTAMPTZ), first_seen
		FROM flows WHERE flow_id = 1`)
	want := []any{"UTC", int64(1700000000123456789), "2023-11-14 22:13:20.123456789",
		int64(1700000000123456), "22:13", "2023-11-14 23:13:20.123456",
		time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC), time.Unix(0, 1700000000123456789).UTC()}
	if got := res.Rows[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	// Every connection of the pool, not only the first, is in UTC.
	db.SetMaxIdleConns(0)
	for range 3 {
		if r := run(t, db, "SELECT current_setting('TimeZone')").Rows[0][0]; r != "UTC" {
			t.Errorf("a new connection has TimeZone %v", r)
		}
	}
}

// TestParquetSaysUTC: every part file's key-value metadata says its
// timestamps are UTC (engine/store), as DuckDB's parquet_kv_metadata reads.
func TestParquetSaysUTC(t *testing.T) {
	out := makeOut(t, t.TempDir(), "tmon-out")
	db := openTest(t)
	res := run(t, db, "SELECT count(DISTINCT file_name), count(*) FILTER (WHERE decode(key) = 'tmonbench.time_zone' AND decode(value) LIKE 'UTC: %') FROM parquet_kv_metadata('"+strings.ReplaceAll(out, "'", "''")+"/*/*.parquet')")
	files, ok := res.Rows[0][0].(int64)
	if !ok || files < 5 || res.Rows[0][1] != files {
		t.Errorf("files, files saying UTC = %v", res.Rows[0])
	}
}
