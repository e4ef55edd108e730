package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestEmptyCapture: a header-only capture is refused with ErrEmpty and
// the file's name (it printed +Inf and NaN per packet), before any run
// (a trial saw "floor 1/1" first).
func TestEmptyCapture(t *testing.T) {
	src, err := os.ReadFile(testsamples.Path(t, "lab", "tcp-mix", "A.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "header.pcap")
	if err := os.WriteFile(path, src[:24], 0o644); err != nil {
		t.Fatal(err)
	}
	var progress []string
	_, err = Run(context.Background(), withReplay(Options{Paths: []string{path}, TempDir: t.TempDir(), Progress: func(s string) { progress = append(progress, s) }}))
	if progress != nil {
		t.Errorf("runs before the refusal: %q", progress)
	}
	if !errors.Is(err, ErrEmpty) || err.Error() != "bench: no packets to measure in "+path+" (empty or header-only capture)" {
		t.Errorf("err %v", err)
	}
}

// TestSmallReport: figures that cannot be measured print n/a (JSON null)
// rather than -1, NaN or a ratio of start-up costs, per-stage figures
// from under MinProfileSamples samples too (a trial saw "73529.4 ns/pkt"
// from 3 samples); a big enough run prints them; sizes in kB or MB (a
// trial saw "0.0 MB captured").
func TestSmallReport(t *testing.T) {
	steady := 0.204
	for _, c := range []struct {
		name            string
		packets         uint64
		wallNs          int64
		bytes           uint64
		samples         int
		steady          *float64
		want, wantNot   []string
		ratio, steadyJS any
	}{
		{"small", 7799, 100e6, 25_000, 6, nil,
			[]string{"7799 packets, 25.0 kB captured;", "\nCPU per stage: n/a (the capture is too short for per-stage figures: 6 CPU profile samples, under 100)\n", "ratio full/floor: n/a (capture too small: under 100000 packets or 0.5 s of work per run)\n",
				"allocations per packet: 2.000 (2.000-2.000) over the whole run, in steady state: n/a (too few packets for a steady state)\n"},
			[]string{"-1.000", "NaN", "Inf", "1525", "ns/pkt", "rows per CPU second"}, nil, nil},
		{"big", 5_000_000, 2e9, 2_996_100_000, 600, &steady,
			[]string{"5000000 packets, 2996.1 MB captured;", "CPU per stage (full runs, from a CPU profile, 2 run(s)):\n", "rows per CPU second", "ratio full/floor, wall: 2.00 (2.00-2.00)", "0.204 (0.204-0.204) in steady state (20-80 % of the packets)\n"},
			[]string{"n/a"}, 2.0, 0.204},
	} {
		m := Measure{WallNs: c.wallNs, UserNs: c.wallNs, Allocs: 2 * c.packets, SteadyAllocsPerPacket: c.steady}
		f := Measure{WallNs: c.wallNs / 2, UserNs: c.wallNs / 2}
		r := &Report{Paths: []string{"x.pcap"}, Packets: c.packets, CapturedBytes: c.bytes, Full: []Measure{m, m}, Floor: []Measure{f, f}, Ratios: []float64{2, 2},
			Stages: StageTimes{StageParquet: c.wallNs}, StageRuns: 2, ProfiledNs: c.wallNs, ProfileSamples: c.samples}
		var text bytes.Buffer
		r.WriteText(&text)
		for _, w := range c.want {
			if !strings.Contains(text.String(), w) {
				t.Errorf("%s: no %q in\n%s", c.name, w, text.String())
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(text.String(), w) {
				t.Errorf("%s: %q in\n%s", c.name, w, text.String())
			}
		}
		var js bytes.Buffer
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var back struct {
			RatioMedian any `json:"ratio_median"`
			Full        []struct {
				Steady any `json:"steady_allocs_per_packet"`
			} `json:"full"`
		}
		if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.RatioMedian != c.ratio || back.Full[0].Steady != c.steadyJS {
			t.Errorf("%s: json %v: ratio_median %v, steady %v", c.name, err, back.RatioMedian, back.Full[0].Steady)
		}
	}
}

// TestFloorFormats: bench takes the captures replay takes, and the floor
// reads the packets the pipeline reads: a pcapng (it said "floor: ...:
// Unknown magic a0d0d0a"), a gzip-compressed pcapng, and a classic pcap
// cut in a record (it said "floor: F: unexpected EOF"; replay keeps the
// packets before the damage). Counts: tcpdump -nr F | wc -l (22 for the
// DNS lab capture; 29 for the first 5000 bytes of tcp-mix/A.pcap, then
// "truncated dump file"); and a record claiming 0x7fffffff captured bytes
// after two good ones (it said "floor: F: capture length exceeds snap
// length"; replay warns and keeps the two).
func TestFloorFormats(t *testing.T) {
	dir := t.TempDir()
	ng, err := os.ReadFile(testsamples.Path(t, "pcap", "dns", "chrissanders_dns_lab.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(ng)
	zw.Close()
	classic, err := os.ReadFile(testsamples.Path(t, "lab", "tcp-mix", "A.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// The global header and the first two records, then a record header
	// whose captured length is 0x7fffffff (replay: "capture malformed",
	// the two packets before it kept).
	le := binary.LittleEndian
	end := 24
	for range 2 {
		end += 16 + int(le.Uint32(classic[end+8:]))
	}
	damaged := append(append([]byte(nil), classic[:end]...), classic[end:end+16]...)
	le.PutUint32(damaged[end+8:], 0x7fffffff)
	for _, c := range []struct {
		name    string
		data    []byte
		packets uint64
	}{
		{"dns.pcapng", ng, 22},
		{"dns.pcapng.gz", gz.Bytes(), 22},
		{"cut.pcap", classic[:5000], 29},
		{"damaged.pcap", damaged, 2},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		fc, err := Floor(bytes.NewReader(c.data))
		if err != nil || fc.Packets != c.packets {
			t.Errorf("%s: floor %d packets, %v; want %d", c.name, fc.Packets, err, c.packets)
		}
		if r, err := Run(context.Background(), withReplay(Options{Paths: []string{path}, TempDir: t.TempDir()})); err != nil || r.Packets != c.packets {
			t.Errorf("%s: bench %v, want %d packets", c.name, err, c.packets)
		}
	}
}
