package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTableBytesAreFileSizes: the bytes per table that run.json and
// bench --json report are the sizes of the table's Parquet files on disk
// (os.Stat summed over <out>/<table>/**/*.parquet), after a replay of the
// committed zeek_wikipedia.pcap. Before, the schema-only part a table gets
// when the run begins was removed at Finish once the table had rows, its
// file count lowered but its bytes kept: flows 6,125 reported for 5,488
// on disk (the 637 bytes of the empty part), tcp_connections 11,984 for
// 10,229, and bench, which counts alike, the same.
func TestTableBytesAreFileSizes(t *testing.T) {
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	out := filepath.Join(t.TempDir(), "o")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, wiki); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, stderr)
	}
	type tableFiles struct{ Files, Rows, Bytes int64 }
	var replayed struct {
		Tables map[string]tableFiles `json:"tables"`
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &replayed); err != nil {
		t.Fatalf("run.json: %v", err)
	}
	onDisk := map[string]tableFiles{}
	for table := range replayed.Tables {
		var d tableFiles
		err := filepath.WalkDir(filepath.Join(out, table), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(path, ".parquet") {
				return err
			}
			fi, err := os.Stat(path)
			if err != nil {
				return err
			}
			d.Files++
			d.Bytes += fi.Size()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		onDisk[table] = d
	}
	if got := replayed.Tables["flows"]; got.Rows == 0 {
		t.Fatalf("scenario too weak: flows has no rows (%+v)", got)
	}
	code, stdout, stderr := tmon(t, "bench", "-q", "--json", "--stages=false", "--tmp", t.TempDir(), wiki)
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, stderr)
	}
	var benched struct {
		Tables map[string]tableFiles `json:"tables"`
	}
	if err := json.Unmarshal([]byte(stdout), &benched); err != nil {
		t.Fatalf("bench --json: %v", err)
	}
	for table, d := range onDisk {
		for _, c := range []struct {
			who string
			got tableFiles
		}{{"run.json", replayed.Tables[table]}, {"bench --json", benched.Tables[table]}} {
			if c.got.Files != d.Files || c.got.Bytes != d.Bytes {
				t.Errorf("%s: %s says %d files, %d bytes; on disk %d files, %d bytes", table, c.who, c.got.Files, c.got.Bytes, d.Files, d.Bytes)
			}
		}
	}
}
