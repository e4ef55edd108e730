package bench

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/store"
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
	_, err = runOn(t, path, Options{Progress: func(s string) { progress = append(progress, s) }})
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
			[]string{"7799 packets, 25.0 kB captured (", "\nCPU per stage: n/a (the capture is too short for per-stage figures: 6 CPU profile samples, under 100)\n", "ratio full/floor: n/a (capture too small: under 100000 packets or 0.5 s of work per run)\n",
				"allocations per packet: 2.000 (2.000-2.000) over the whole run, in steady state: n/a (too few packets for a steady state)\n",
				// one row, one file: singular (the trial's D13 read "1 files")
				"rows per table (1 row in 1 Parquet file, 0.0 MiB", "  events                    1 row     1 file\n"},
			[]string{"-1.000", "NaN", "Inf", "1525", "ns/pkt", "rows per CPU second"}, nil, nil},
		{"big", 5_000_000, 2e9, 2_996_100_000, 600, &steady,
			[]string{"5000000 packets, 2996.1 MB captured (", "CPU per stage (full runs, from a CPU profile, 2 run(s)):\n", "rows per CPU second", "ratio full/floor, wall: 2.00 (2.00-2.00)", "0.204 (0.204-0.204) in steady state (20-80 % of the packets)\n"},
			[]string{"n/a"}, 2.0, 0.204},
	} {
		m := Measure{WallNs: c.wallNs, UserNs: c.wallNs, Allocs: 2 * c.packets, SteadyAllocsPerPacket: c.steady}
		f := Measure{WallNs: c.wallNs / 2, UserNs: c.wallNs / 2}
		r := &Report{Paths: []string{"x.pcap"}, Packets: c.packets, CapturedBytes: c.bytes, Full: []Measure{m, m}, Floor: []Measure{f, f}, Ratios: []float64{2, 2},
			Stages: StageTimes{StageParquet: c.wallNs}, StageRuns: 2, ProfiledNs: c.wallNs, ProfileSamples: c.samples,
			Tables: map[string]store.TableStats{"events": {Files: 1, Rows: 1}}}
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
			RatioMedian    any   `json:"wall_ratio_median"`
			CPURatioMedian any   `json:"cpu_ratio_median"`
			WallRatios     []any `json:"wall_ratios"`
			Stages         []any `json:"stages"`
			StageCPU       any   `json:"stage_cpu_ns"`
			Full           []struct {
				Steady any `json:"steady_allocs_per_packet"`
			} `json:"full"`
		}
		if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.RatioMedian != c.ratio || back.CPURatioMedian != c.ratio || back.Full[0].Steady != c.steadyJS {
			t.Errorf("%s: json %v: wall_ratio_median %v, cpu_ratio_median %v, steady %v", c.name, err, back.RatioMedian, back.CPURatioMedian, back.Full[0].Steady)
		}
		// where the text says n/a, the JSON says null (a trial found the
		// stages filled where the text printed n/a)
		if small := c.ratio == nil; (back.WallRatios == nil) != small || (back.Stages == nil) != small || (back.StageCPU == nil) != small {
			t.Errorf("%s: json wall_ratios %v, stages %v, stage_cpu_ns %v: want null exactly where the text says n/a", c.name, back.WallRatios, back.Stages, back.StageCPU)
		}
	}
}

// TestRatesOfMedianWall: packets/s and Gbit/s are of the wall time
// printed beside them, and Gbit/s of the bytes on the wire, both labelled.
// Two full runs of 6 M packets took 2 and 4 s: the median wall is 3 s, so
// 2000000 packets/s (6e6 / 3), min 1500000 (6e6 / 4), max 3000000
// (6e6 / 2); a trial saw the mean of the two runs' rates (2250000 here)
// beside the median wall. 3 GB on the wire (1.5 GB captured, snap length
// 96) in 3 s is 8.00 Gbit/s (3e9 * 8 / 3e9), 6.00-12.00.
func TestRatesOfMedianWall(t *testing.T) {
	full := []Measure{{WallNs: 2e9, UserNs: 2e9}, {WallNs: 4e9, UserNs: 4e9}}
	floor := []Measure{{WallNs: 1e9, UserNs: 1e9}, {WallNs: 1e9, UserNs: 1e9}}
	r := &Report{Paths: []string{"x.pcap"}, Packets: 6_000_000, CapturedBytes: 1_500_000_000, WireBytes: 3_000_000_000, Full: full, Floor: floor, Ratios: []float64{2, 4}}
	var text bytes.Buffer
	r.WriteText(&text)
	for _, want := range []string{"1500.0 MB captured (3000.0 MB on the wire)", "Gbit/s on the wire",
		"full pipeline 3.00 (2.00-4.00) 3.00 (2.00-4.00) 2000000 (1500000-3000000) 8.00 (6.00-12.00) 0 (0-0)",
		"packets/s and Gbit/s: the packets and their bytes on the wire, pcap orig_len, over the wall time beside them"} {
		if !strings.Contains(strings.Join(strings.Fields(text.String()), " "), want) { // columns' spacing aside
			t.Errorf("no %q in\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Full struct {
			WallNs       float64 `json:"wall_ns"`
			PacketsPerS  float64 `json:"packets_per_s"`
			WireGbitPerS float64 `json:"wire_gbit_per_s"`
		} `json:"full_median"`
		CPURatios []float64 `json:"cpu_ratios"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Full.WallNs != 3e9 || back.Full.PacketsPerS != 2e6 || back.Full.WireGbitPerS != 8 {
		t.Errorf("json full_median %+v (%v): want 3e9 ns, 2e6 packets/s, 8 Gbit/s on the wire", back.Full, err)
	}
	if len(back.CPURatios) != 2 || back.CPURatios[0] != 2 || back.CPURatios[1] != 4 {
		t.Errorf("json cpu_ratios %v: want [2 4] (CPU 2 s and 4 s against 1 s)", back.CPURatios)
	}
}

// TestPeakRSSPreloadJSON: the text report and the JSON agree on the peak
// RSS with --preload: the text prints it less the preloaded captures
// ("excludes the 322 MiB"), which the JSON gave whole as peak_rss_bytes;
// it now gives both, named (peak_rss_bytes, peak_rss_less_preload_bytes,
// preload_bytes), and the memory limit in bytes (it gave "156MiB").
func TestPeakRSSPreloadJSON(t *testing.T) {
	path := testsamples.Path(t, "lab", "tcp-mix", "A.pcap")
	size, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runOn(t, path, Options{Preload: true, MemoryLimit: DefaultMemoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		PreloadBytes    int64 `json:"preload_bytes"`
		GOMEMLIMITBytes int64 `json:"gomemlimit_bytes"`
		Full            []struct {
			Peak     int64 `json:"peak_rss_bytes"`
			LessPre  int64 `json:"peak_rss_less_preload_bytes"`
			FileRSS  int64 `json:"file_rss_bytes"`
			WallNs   int64 `json:"wall_ns"`
			Unwanted any   `json:"ratios"`
		} `json:"full"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	m := back.Full[0]
	if back.PreloadBytes != size.Size() || m.LessPre != m.Peak-size.Size() || back.GOMEMLIMITBytes != 156<<20 {
		t.Errorf("json preload_bytes %d (file %d), peak_rss_bytes %d, peak_rss_less_preload_bytes %d, gomemlimit_bytes %d (want 156 MiB)",
			back.PreloadBytes, size.Size(), m.Peak, m.LessPre, back.GOMEMLIMITBytes)
	}
	var text bytes.Buffer
	r.WriteText(&text)
	if want := fmt.Sprintf("%.0f\n", float64(m.LessPre)/(1<<20)); !strings.Contains(text.String(), want) {
		t.Errorf("the text's full-run peak RSS is not the JSON's peak_rss_less_preload_bytes (%s MiB):\n%s", strings.TrimSpace(want), text.String())
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
		if r, err := runOn(t, path, Options{}); err != nil || r.Packets != c.packets {
			t.Errorf("%s: bench %v, want %d packets", c.name, err, c.packets)
		}
	}
}

// TestGOGCJSON: --json gives gogc as the runtime's GC percent, a number
// beside the other numeric settings (it gave the string "100"), and null
// when the collector is off (it gave "off"); the text keeps "GOGC 100",
// "GOGC off". The percent is set here as GOGC sets it at start-up
// (debug.SetGCPercent: a negative one is off).
func TestGOGCJSON(t *testing.T) {
	path := testsamples.Path(t, "lab", "tcp-mix", "A.pcap")
	for _, c := range []struct {
		percent int
		want    any // the decoded JSON value
		text    string
	}{{100, float64(100), "GOGC 100,"}, {50, float64(50), "GOGC 50,"}, {-1, nil, "GOGC off,"}} {
		old := debug.SetGCPercent(c.percent)
		r, err := runOn(t, path, Options{})
		debug.SetGCPercent(old)
		if err != nil {
			t.Fatal(err)
		}
		var js, text bytes.Buffer
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(js.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if got, ok := back["gogc"]; !ok || got != c.want {
			t.Errorf("GC percent %d: json gogc %#v (present %v), want %#v", c.percent, got, ok, c.want)
		}
		if r.WriteText(&text); !strings.Contains(text.String(), c.text) {
			t.Errorf("GC percent %d: text\n%s\nwant %q", c.percent, text.String(), c.text)
		}
	}
}
