package main

import (
	"encoding/binary"
	"os"
	"os/exec"
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

// TestReplayFolderNotCaptures: a folder holding a file that is not a
// capture (samples/ has SOURCES.md) is refused, exit 1, with what a
// folder means and how to replay its captures as separate probes; the
// glob the message gives works.
func TestReplayFolderNotCaptures(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "mixed")
	os.MkdirAll(dir, 0o755)
	b, err := os.ReadFile(filepath.Join(samples(t), "lab", "ftp", "A.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "A.pcap"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("# where the captures come from\n"), 0o644)
	code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(tmp, "out"), dir)
	want := "tmonbench replay: " + filepath.Join(dir, "NOTES.md") + ": magic 0x23207768: not a pcap or pcapng file (a folder is one capture point's rotated captures: every file in " + dir +
		" must be one; to replay the captures in it as separate probes, name them: tmonbench replay " + filepath.Join(dir, "*.pcap*") + ")\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
	if code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(tmp, "out"), filepath.Join(dir, "*.pcap*")); code != 0 {
		t.Errorf("the glob said: exit %d: %s", code, stderr)
	}
}

// TestReplayFolderHintRunnable: the command folderHint suggests runs as
// printed in a shell: a folder named with a space gets its glob quoted
// (unquoted, "tmonbench replay my caps/*.pcap*" names two arguments),
// and a folder without a file the glob matches (notes alone) gets no
// glob, which would only say 'matches no file'.
func TestReplayFolderHintRunnable(t *testing.T) {
	tmp := t.TempDir()
	b, err := os.ReadFile(filepath.Join(samples(t), "lab", "ftp", "A.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	spaced, notes := filepath.Join(tmp, "my caps"), filepath.Join(tmp, "notes")
	os.MkdirAll(spaced, 0o755)
	os.MkdirAll(notes, 0o755)
	os.WriteFile(filepath.Join(spaced, "A.pcap"), b, 0o644)
	for _, d := range []string{spaced, notes} {
		os.WriteFile(filepath.Join(d, "NOTES.md"), []byte("# where the captures come from\n"), 0o644)
	}
	_, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(tmp, "out"), spaced)
	glob := "'" + filepath.Join(spaced, "*.pcap*") + "'"
	if !strings.HasSuffix(stderr, "name them: tmonbench replay "+glob+")\n") {
		t.Errorf("stderr %q: no quoted glob %s", stderr, glob)
	}
	out, err := exec.Command("sh", "-c", "printf '%s\\n' "+glob).Output()
	if err != nil || string(out) != filepath.Join(spaced, "*.pcap*")+"\n" {
		t.Errorf("the shell reads %s as %q (%v)", glob, out, err)
	}
	code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(tmp, "out"), notes)
	want := "tmonbench replay: " + filepath.Join(notes, "NOTES.md") + ": magic 0x23207768: not a pcap or pcapng file (a folder is one capture point's rotated captures: every file in " + notes + " must be one)\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
}
