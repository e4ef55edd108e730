package queries

import (
	"context"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestLoadRows: rows loaded into a live table read back with the values
// and types of the same rows written as Parquet and read through the
// table's view: the lab FTP replay's (testdata/lab/ftp/A.pcap) TCP
// connections, RTT samples, FTP transfers and
// events, NULLs and timestamps included; loading again replaces the rows.
func TestLoadRows(t *testing.T) {
	out := testout.Replay(t, testsamples.Path(t, "lab", "ftp", "A.pcap"))
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, name := range []string{observe.TableTCPConnections, observe.TableRTTSamples, observe.TableFTPTransfers, observe.TableEvents} {
		tb := observe.TableNamed(name)
		b := testout.ReadBatch(t, out, tb)
		if tb.Len(b) == 0 {
			t.Fatalf("%s: no rows in the replay", name)
		}
		for range 2 { // the second load replaces the first
			if err := LoadRows(ctx, db, tb, b); err != nil {
				t.Fatal(err)
			}
		}
		var diff, n, live int
		var cols []string
		for _, c := range tb.Columns() {
			cols = append(cols, quoteIdent(c.Name))
		}
		sel := "SELECT " + strings.Join(cols, ", ") + " FROM "
		q := "SELECT (SELECT count(*) FROM (" + sel + name + " EXCEPT ALL " + sel + LiveTable(name) + ")), " +
			"(SELECT count(*) FROM " + name + "), (SELECT count(*) FROM " + LiveTable(name) + ")"
		if err := db.QueryRow(q).Scan(&diff, &n, &live); err != nil {
			t.Fatal(err)
		}
		if diff != 0 || n != live {
			t.Errorf("%s: %d rows written, %d loaded, %d written rows not loaded alike", name, n, live, diff)
		}
		var typesDiffer int
		if err := db.QueryRow(`SELECT count(*) FROM (SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?
			EXCEPT SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?)`, LiveTable(name), name).Scan(&typesDiffer); err != nil {
			t.Fatal(err)
		}
		if typesDiffer != 0 {
			t.Errorf("%s: %d columns of the live table are not in the view with the same type", name, typesDiffer)
		}
	}
}
