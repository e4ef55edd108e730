package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestReplayFolderAndGlob (issue 9.7): `tmonbench replay DIR` and
// `tmonbench replay 'DIR/*.pcap'` over the rotated files of one capture
// point (the lab's ftp/A.pcap cut in 4, like tcpdump -C) write the same
// rows in every table as replaying the files listed, as one probe on one
// interface (--probe rot/if0=FILE for each, in reverse order: merged by
// capture time), and as the uncut capture.
func TestReplayFolderAndGlob(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	whole := filepath.Join(samples(t), "lab", "ftp", "A.pcap")
	rot := filepath.Join(tmp, "rot")
	files := splitPcap(t, whole, rot, 4)
	listed := []string{"replay", "-q", "--out", filepath.Join(tmp, "listed")}
	for i := len(files) - 1; i >= 0; i-- {
		listed = append(listed, "--probe", "rot/if0="+files[i])
	}
	runs := map[string][]string{
		"folder": {"replay", "-q", "--out", filepath.Join(tmp, "folder"), rot},
		"glob":   {"replay", "-q", "--out", filepath.Join(tmp, "glob"), filepath.Join(rot, "*.pcap")},
		"listed": listed,
		"whole":  {"replay", "-q", "--out", filepath.Join(tmp, "whole"), "--probe", "rot/if0=" + whole},
	}
	for name, args := range runs {
		if code, _, stderr := tmon(t, args...); code != 0 {
			t.Fatalf("%s: %v: %s", name, args, stderr)
		}
	}
	tables := observe.TableNames()
	rows := 0
	for _, table := range tables {
		sql := "select * exclude (date) from " + table + " order by all"
		if table == observe.TablePDUStats {
			sql = "select * from " + table + " order by all" // not partitioned by date
		}
		want := csvRows(t, "--out", filepath.Join(tmp, "listed"), "--sql", sql)
		rows += len(want) - 1
		for _, name := range []string{"folder", "glob", "whole"} {
			got := csvRows(t, "--out", filepath.Join(tmp, name), "--sql", sql)
			if strings.Join(flat(got), "\n") != strings.Join(flat(want), "\n") {
				t.Errorf("%s: %s has %d rows, the files listed %d, or other values", table, name, len(got)-1, len(want)-1)
			}
		}
	}
	flows := csvRows(t, "--out", filepath.Join(tmp, "folder"), "--sql", "select count(distinct probe) p, count(*) > 0 f from flows")
	if flows[1][0] != "1" || flows[1][1] != "true" || rows == 0 {
		t.Errorf("folder replay: %v probes/flows, %d rows in all: want one probe with flows", flows, rows)
	}
}

// flat joins each CSV row into one line.
func flat(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, ",")
	}
	return out
}

// splitPcap cuts the classic pcap file src into n files of about as many
// packets each, dir/part-0.pcap..., every one with src's file header (the
// rotated files tcpdump -C writes), and returns their paths.
func splitPcap(t *testing.T, src, dir string, n int) []string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if b[0] == 0xa1 {
		order = binary.BigEndian
	}
	var records [][]byte
	for off := 24; off+16 <= len(b); {
		end := off + 16 + int(order.Uint32(b[off+8:]))
		records = append(records, b[off:end])
		off = end
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	per := (len(records) + n - 1) / n
	for i := 0; i < n; i++ {
		part := append([]byte(nil), b[:24]...)
		for _, r := range records[min(i*per, len(records)):min((i+1)*per, len(records))] {
			part = append(part, r...)
		}
		p := filepath.Join(dir, "part-"+string(rune('0'+i))+".pcap")
		if err := os.WriteFile(p, part, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestReplayFolderSkipsNotCaptures: a folder of rotated captures holding
// files that are not captures (notes, and a sample of libpcap's tests,
// testdata/pcap/malformed/libpcap_pcap-invalid-version-1.pcap, pcap
// version 1.4, which libpcap and tshark refuse) is replayed without them,
// as Suricata's pcap directory mode does ("Failed to init pcap file %s,
// skipping"): a warning each on stderr, an event capture_skipped each,
// run.json's skipped, the summary's count, the rows of the captures
// alone, and exit status 3 (exitSkipped) with a last line saying so. The
// same through a quoted glob. Before: the run stopped at the first such
// file (exit 1). A file named is still an error (exit 1), and so is a
// folder none of whose files is a capture.
func TestReplayFolderSkipsNotCaptures(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "mixed")
	os.MkdirAll(dir, 0o755)
	capture := filepath.Join(samples(t), "lab", "ftp", "A.pcap")
	b, err := os.ReadFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := os.ReadFile(filepath.Join(samples(t), "pcap", "malformed", "libpcap_pcap-invalid-version-1.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "A.pcap"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "B-invalid-version.pcap"), bad, 0o644)
	os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("# where the captures come from\n"), 0o644)
	badPath, notes := filepath.Join(dir, "B-invalid-version.pcap"), filepath.Join(dir, "NOTES.md")
	badWhy := badPath + ": at byte 4: pcap version 1.4: unsupported capture file version"
	notesWhy := notes + ": magic 0x23207768: not a pcap or pcapng file"
	wantErr := "tmonbench replay: warning: " + badWhy + ": skipped, not a capture (a file of " + dir + "; event capture_skipped)\n" +
		"tmonbench replay: warning: " + notesWhy + ": skipped, not a capture (a file of " + dir + "; event capture_skipped)\n" +
		"tmonbench replay: 2 files of a folder or glob skipped, not captures (the warnings above, events capture_skipped, run.json's skipped): the run holds the others\n"
	alone := filepath.Join(tmp, "alone")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", alone, "--probe", "mixed/if0="+capture); code != 0 {
		t.Fatalf("the capture alone: exit %d: %s", code, stderr)
	}
	for name, arg := range map[string]string{"folder": dir, "glob": filepath.Join(dir, "*")} {
		out := filepath.Join(tmp, name)
		code, stdout, stderr := tmon(t, "replay", "--out", out, arg)
		if code != exitSkipped || stderr != wantErr {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 3 and:\n%s", name, code, stderr, wantErr)
		}
		if !strings.HasPrefix(stdout, "tmonbench replay: 1 capture file (2 other files skipped, not captures: "+badPath+", "+notes+"; events capture_skipped), 1 probe: mixed\n") {
			t.Errorf("%s: summary %q: want the 2 files skipped counted", name, strings.SplitN(stdout, "\n", 2)[0])
		}
		ev := csvRows(t, "--out", out, "--sql", "select source, severity, count, message from events where kind = 'capture_skipped' order by message")
		want := [][]string{{"source", "severity", "count", "message"},
			{"replay", "warning", "1", badWhy + ": skipped, not a capture (a file of " + dir + "): nothing of it is in the tables"},
			{"replay", "warning", "1", notesWhy + ": skipped, not a capture (a file of " + dir + "): nothing of it is in the tables"}}
		if strings.Join(flat(ev), "\n") != strings.Join(flat(want), "\n") {
			t.Errorf("%s: capture_skipped events:\n%v\nwant\n%v", name, ev, want)
		}
		var m struct {
			Inputs  []struct{ Path string }
			Skipped []struct {
				Path      string
				SizeBytes int64 `json:"size_bytes"`
				Reason    string
			}
		}
		if j, err := os.ReadFile(filepath.Join(out, "run.json")); err != nil || json.Unmarshal(j, &m) != nil {
			t.Fatalf("%s: run.json: %v", name, err)
		}
		if len(m.Inputs) != 1 || len(m.Skipped) != 2 || m.Skipped[0].Path != badPath || m.Skipped[0].SizeBytes != int64(len(bad)) || m.Skipped[0].Reason != badWhy || m.Skipped[1].Reason != notesWhy {
			t.Errorf("%s: run.json inputs %v, skipped %+v: want A.pcap read, the 2 others skipped with why", name, m.Inputs, m.Skipped)
		}
		for _, table := range []string{"flows", "tcp_connections", "ftp_sessions"} {
			sql := "select * exclude (date) from " + table + " order by all"
			if got, want := csvRows(t, "--out", out, "--sql", sql), csvRows(t, "--out", alone, "--sql", sql); strings.Join(flat(got), "\n") != strings.Join(flat(want), "\n") || len(want) < 2 {
				t.Errorf("%s: %s: %d rows, the capture alone %d, or other values", name, table, len(got)-1, len(want)-1)
			}
		}
	}
	code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(tmp, "named"), badPath)
	if want := "tmonbench replay: " + badWhy + "\n"; code != 1 || stderr != want {
		t.Errorf("a file named: exit %d, stderr %q; want exit 1, %q", code, stderr, want)
	}
	only := filepath.Join(tmp, "notes")
	os.MkdirAll(only, 0o755)
	os.WriteFile(filepath.Join(only, "NOTES.md"), []byte("# where the captures come from\n"), 0o644)
	code, _, stderr = tmon(t, "replay", "-q", "--out", filepath.Join(tmp, "none"), only)
	onlyWhy := filepath.Join(only, "NOTES.md") + ": magic 0x23207768: not a pcap or pcapng file"
	want := "tmonbench replay: warning: " + onlyWhy + ": skipped, not a capture (a file of " + only + "; event capture_skipped)\n" +
		"tmonbench replay: " + only + " holds no capture: its 1 file is not one (" + onlyWhy + ")\n"
	if code != 1 || stderr != want {
		t.Errorf("a folder of notes: exit %d, stderr:\n%s\nwant exit 1 and:\n%s", code, stderr, want)
	}
}
