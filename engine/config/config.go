package config

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration text.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// ErrInvalid wraps every validation error; errors.Is(err, ErrInvalid).
var ErrInvalid = errors.New("config: invalid")

// Error is a validation error that names the YAML line and field.
type Error struct {
	File  string // file name, "<default>" for the embedded config
	Line  int    // 1-based line in the YAML text; 0 if unknown
	Col   int    // 1-based column of the field's key (or item) on Line; 0 if unknown
	Field string // dotted path of the field, e.g. classes[2].granularity
	Msg   string
}

// Error formats the error as FILE:LINE:COL: FIELD: MESSAGE, as a
// compiler does (no COL when unknown, no FIELD: when the fault is in no
// field, a YAML syntax error).
func (e *Error) Error() string {
	at := e.File
	if e.Line > 0 {
		at = fmt.Sprintf("%s:%d", e.File, e.Line)
		if e.Col > 0 {
			at = fmt.Sprintf("%s:%d", at, e.Col)
		}
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", at, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", at, e.Field, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

// Config is the single configuration shared by probes and collector
// (design 1.6). The zero value is not usable: use Default, Load or Parse.
type Config struct {
	// ValidFrom is when this version of the file takes effect (design 1.6:
	// probes and collector switch together), RFC 3339 with a time zone;
	// empty means at once. A running `tmonbench live` watching the file
	// switches at that time.
	ValidFrom string `yaml:"valid_from,omitempty"`
	// IntervalS is the aggregation interval of counters and histograms,
	// in whole seconds of capture time (design 1.4: 10 s to 1 h), 1 to
	// 86400; one that does not tile the minute is warned of
	// (IntervalWarning). 0 or absent: 60 (DefaultIntervalS).
	IntervalS float64 `yaml:"interval_s"`
	// ClockJumpS: a forward step of capture time between two packets of
	// more than ClockJumpS seconds is taken by the probe for the capture
	// host's clock set forward rather than for a silence of the link
	// (issue 15.6): no time
	// passes on the timers across it (a flow or connection open across it
	// is not expired, split and reported twice), and a capture_time_jump
	// event tells it. In seconds, 1 to 315360000 (ten years); 0 or absent:
	// 600 (DefaultClockJumpS). A capture of a quiet link with longer
	// silences replays as `live` saw it (its timeouts falling in the
	// silences) with a value above its longest silence.
	ClockJumpS float64 `yaml:"clock_jump_s,omitempty"`
	// FlowTable bounds the probe's granular flow table.
	FlowTable FlowTable `yaml:"flow_table"`
	// TCPTable bounds and times the connections of each class with tcp.
	TCPTable TCPTable `yaml:"tcp_table"`
	// FTPTable bounds and times the FTP sessions of each class with ftp.
	FTPTable FTPTable `yaml:"ftp_table"`
	// Reassembly bounds the probe's IP fragment reassembly.
	Reassembly Reassembly `yaml:"reassembly"`
	// Classes are the flow classes, in order; a packet may belong to
	// several. The class named "all" is always present (added if missing).
	Classes []Class `yaml:"classes"`
	// Probes describes probes by name (optional in replay, where each
	// capture is a probe): wire ids, shared keys, clock corrections.
	Probes []Probe `yaml:"probes,omitempty"`
	// Collectors lists the collectors every probe sends to (design 1.2),
	// each with its own regulation (design 1.5). Replay runs one
	// in-process collector per entry (default: one with the defaults).
	Collectors []Collector `yaml:"collectors,omitempty"`
	// Enrich qualifies addresses by Activity, Location, country, AS and
	// DNS name for the addresses table and reports (enrich.go).
	Enrich Enrich `yaml:"enrich,omitempty"`
	// TUI holds the terminal UI's key remapping (tui.go); engines ignore it.
	TUI TUI `yaml:"tui,omitempty"`

	file           string
	classesDefault bool       // the classes are the embedded default's (effective.go)
	root           *yaml.Node // the parsed text, for the lines of errors (nil: none)
}

// FlowTable bounds the granular flow table of each probe (design 3.2).
type FlowTable struct {
	// MaxFlows is the most flows kept at once per probe; when full, the
	// least recently seen flow is evicted and an event counts it. 1 to
	// MaxMaxFlows; 0 or absent: 1048576.
	MaxFlows int `yaml:"max_flows"`
}

// Granularity fields: the packet fields whose values split a class into
// granular flows (design 3.2: the <GranularFlow> qualifiers).
const (
	FieldIPVersion = "ip_version"
	FieldProtocol  = "protocol"
	FieldSrcAddr   = "src_addr"
	FieldDstAddr   = "dst_addr"
	FieldSrcPort   = "src_port"
	FieldDstPort   = "dst_port"
	FieldDSCP      = "dscp"
	// FieldVLAN is the outermost VLAN tag's ID (0 untagged): of a Q-in-Q
	// (802.1ad) packet the S-tag; the inner C-tag splits no flow (a
	// filter reaches it: "vlan S and vlan C", as in tcpdump).
	FieldVLAN = "vlan"
)

// Fields lists every granularity field in canonical order.
var Fields = []string{FieldIPVersion, FieldProtocol, FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort, FieldDSCP, FieldVLAN}

// Analyses a class may ask for (design 3.9, 3.11).
const (
	AnalysisCounters = "counters" // per-flow protocol counters (design 3.12)
	AnalysisSizes    = "sizes"    // IP size histogram per flow and interval
	AnalysisTCP      = "tcp"      // TCP connection follow-on (tcp_connections)
	AnalysisRTT      = "rtt"      // request/response round trips (rtt_samples, rtt_histograms)
	AnalysisFTP      = "ftp"      // FTP sessions, data connections, transfers
	AnalysisOneway   = "oneway"   // one-way delay and loss across probes (design 1.2, 4.3)
)

// Analyses lists every known analysis name.
var Analyses = []string{AnalysisCounters, AnalysisSizes, AnalysisTCP, AnalysisRTT, AnalysisFTP, AnalysisOneway}

// Collector is one collector and the regulation of the channel every probe
// keeps with it (design 1.5). Numbers set to 0 or absent take the
// transport's defaults (DefaultCollector: 1400-byte PDUs, 1 s build time,
// 1 ms gap, 2 s initial timeout growing by x1.5 + 1 s over 5 retries,
// 10 min final timeout, 30 s break border, 10 s heartbeat, backlog
// reported past 10 s of queued sends); none may be negative.
//
// Sizing the regulation: a channel sends at most one PDU of max_pdu_bytes
// per min_gap_ms, so its capacity is max_pdu_bytes / min_gap_ms: 1400 B
// per 1 ms = 1.4 MB/s (11.2 Mbit/s) by default, about 1 % of a saturated
// 1 Gbit/s link, twice what the default config produces on the 5 M-packet
// benchmark corpus (690 kB/s of PDUs for 197 k flows). Counters cost about
// 60 bytes per active flow and interval, so a probe reporting F active
// flows every interval_s needs F x 60 / interval_s B/s: 200 k flows every
// 10 s is 1.2 MB/s. A channel that cannot keep up says so (event
// pdu_backlog, after backlog_s of queued sends). The in-process link of
// tmonbench replay is not regulated (min_gap_ms is ignored there unless
// faults are injected).
type Collector struct {
	Name string `yaml:"name"`
	// Address is the collector's UDP "host:port" (tmonbench probe and
	// tmonbench collector; unused by replay).
	Address           string  `yaml:"address"`
	MaxPDUBytes       int     `yaml:"max_pdu_bytes"`
	MaxBuildS         float64 `yaml:"max_build_s"`
	MinGapMs          float64 `yaml:"min_gap_ms"`
	InitialTimeoutS   float64 `yaml:"initial_timeout_s"`
	TimeoutIncrementS float64 `yaml:"timeout_increment_s"`
	TimeoutMultiplier float64 `yaml:"timeout_multiplier"`
	MaxRetries        int     `yaml:"max_retries"`
	FinalTimeoutS     float64 `yaml:"final_timeout_s"`
	BreakBorderS      float64 `yaml:"break_border_s"`
	HeartbeatS        float64 `yaml:"heartbeat_s"`
	BacklogS          float64 `yaml:"backlog_s"`
	// MaxPermanentMB bounds the memory of the permanent PDUs (flow
	// definitions, FTP records, events) a probe keeps for this collector
	// while it does not acknowledge them; past it they wait in a spool on
	// disk (the probe's --state-dir). 0: 4 MiB (pdu.DefaultMaxPermanentBytes).
	MaxPermanentMB float64 `yaml:"max_permanent_mb"`
	// SpoolMaxMB bounds that spool: past it the oldest spooled flow
	// definitions, FTP records and events are destroyed and counted
	// (pdu_permanent_overflow). 0: 1024 MiB (pdu.DefaultSpoolMaxBytes).
	SpoolMaxMB float64 `yaml:"spool_max_mb"`
	// Faults are impairments injected on the in-process link to this
	// collector by tmonbench replay (tests and demos; the --link-* flags
	// override them).
	Faults LinkFaults `yaml:"faults"`
}

// LinkFaults describe injected link impairments: shares of frames (PDUs and
// acknowledgements, both ways) lost, duplicated, reordered or corrupted,
// outage windows "DURATION@START" counted from the first packet in capture
// time (e.g. "30s@120s"), and the seed that makes them reproducible.
type LinkFaults struct {
	Loss    float64  `yaml:"loss"`
	Dup     float64  `yaml:"dup"`
	Reorder float64  `yaml:"reorder"`
	Corrupt float64  `yaml:"corrupt"`
	Outages []string `yaml:"outages"`
	Seed    uint64   `yaml:"seed"`
}

// TCPOptions tune the tcp analysis of a class.
type TCPOptions struct {
	// BoundaryOnly analyses only SYN, FIN and RST segments (design 3.6):
	// sizes and durations then come from the boundary sequence numbers.
	BoundaryOnly bool `yaml:"boundary_only"`
}

// RTTOptions tune the rtt analysis of a class.
type RTTOptions struct {
	// SlicesMs are the upper bounds of the rtt_histograms slices, in ms,
	// ascending (design 3.14). Default 2, 10, 50.
	SlicesMs []float64 `yaml:"slices_ms"`
	// TimeoutS: a request unanswered after this many seconds is counted
	// as unanswered. More than 0; 0 or absent: 10.
	TimeoutS float64 `yaml:"timeout_s"`
	// Kinds restricts the matching to these kinds (icmp_echo, dns, snmp,
	// ntp, tcp_handshake, tcp_ts); empty means all.
	Kinds []string `yaml:"kinds"`
}

// OnewayOptions describe a one-way class (design 1.2, 3.7, 4.3): the
// capture points of the path, the signature, the reconciliation timeout
// and what to output. engine/oneway.Config is this type: its Validate and
// DefaultConfig give the engine's checks and the defaults of zero fields.
type OnewayOptions struct {
	// Hops are the capture points in path order, at least 2 and at most
	// 16 (oneway.MaxHops): probe names, or "probe/interface" when one
	// probe captures the path at several interfaces. Design 4.3 allows one
	// hop name for alternative capture points (a probe name covering its
	// interfaces).
	Hops []string `yaml:"hops"`
	// Latency names the hop pair whose delays get the configured slices;
	// every consecutive pair and the end-to-end pair get latency rows too
	// (with the same slices). Default: first to last hop.
	Latency OnewayLatency `yaml:"latency"`
	// SignatureBits is the width of the packet signature sent per packet,
	// 16 to 64; 0 or absent: 32 (see engine/oneway/doc.go for the bytes each
	// width costs).
	SignatureBits int `yaml:"signature_bits"`
	// Mask lists the header fields some hop rewrites, left out of the
	// signature: ttl and ip_checksum always are; known names are
	// MaskFields (tos, ip_id, ip_options, flow_label, src_addr, dst_addr,
	// src_port, dst_port, l4_checksum). src_port/dst_port also cover the
	// ICMP echo identifier, l4_checksum the ICMP checksum.
	Mask []string `yaml:"mask"`
	// TimeoutS is the capture time, in seconds, after which a packet still
	// missing at some hop is classified (lost, missed, dropped): the
	// longest transit plus reporting delay expected. More than 0; 0 or
	// absent: 5.
	TimeoutS float64 `yaml:"timeout_s"`
	// Records also writes one oneway_delays row per packet and hop pair.
	Records bool `yaml:"records"`
	// TimeUnitNs is the finest time unit the observations carry: 1 (0 or
	// absent, the default: the capture's own resolution, ns when the file has it, so
	// a delay of 2.321 µs reads 2.321), 10, 100 or 1000 (whole µs, about
	// 10 bits less per observation on a capture with real nanosecond
	// digits).
	TimeUnitNs int `yaml:"time_unit_ns"`
	// ClockOffsetUs is, per hop name, the known offset of that capture
	// point's clock in microseconds: it is subtracted from the hop's
	// capture times before any delay is computed (design 1.2 assumes
	// GNSS/NTP-synchronised clocks; this corrects a known bias). Not read
	// from the class: the collector fills it from the probes'
	// clock_offset_us.
	ClockOffsetUs map[string]float64 `yaml:"-"`
}

// OnewayLatency selects the hop pair of the latency histograms and their
// slices.
type OnewayLatency struct {
	From string `yaml:"from"` // hop name; default the first hop
	To   string `yaml:"to"`   // hop name, after From on the path; default the last hop
	// SlicesMs are the upper bounds (inclusive) of the delay slices in
	// milliseconds, strictly ascending and positive; n bounds give n+1
	// counts, the last unbounded. Default 1, 2, 5, 10, 20, 50, 100.
	SlicesMs []float64 `yaml:"slices_ms"`
}

// MaskFields lists the field names a oneway mask may hold.
var MaskFields = []string{"ttl", "ip_checksum", "tos", "ip_id", "ip_options", "flow_label", "src_addr", "dst_addr", "src_port", "dst_port", "l4_checksum"}

// Class is one flow class: what to watch and how to split and analyse it.
type Class struct {
	// Name identifies the class in every table (flows.class).
	Name string `yaml:"name"`
	// Filter is a pcap-filter expression (engine/filter); empty = all IP.
	Filter string `yaml:"filter,omitempty"`
	// Granularity lists the fields that split the class into flows, from
	// Fields. Default: the 5-tuple with IP version (one flow per direction).
	Granularity []string `yaml:"granularity"`
	// FoldPortsAbove folds ports above this value to 0 ("high") in flow
	// keys and names (design 7: srcIP:high>dstIP:161), 0 to 65535; 0 or
	// absent: no folding.
	FoldPortsAbove uint16 `yaml:"fold_ports_above,omitempty"`
	// IdleTimeoutS expires a flow after this many seconds of capture time
	// without a packet, checked at each interval's end (a gap between
	// idle_timeout_s and idle_timeout_s + interval_s splits the flow when
	// an interval ends within it); a later packet of the same key starts a
	// new flow. A clock jump forward counts no time. More than 0; 0 or
	// absent: 300.
	IdleTimeoutS float64 `yaml:"idle_timeout_s"`
	// Analyses to run on the class's packets, from Analyses; absent:
	// [counters]. counters is an analysis like the others (design 3.9
	// lists counters statistics among them): a list that leaves it out
	// writes no protocol counters for the class (its flows rows stay, and
	// its other analyses' metrics, rtt_unanswered_<kind>), and
	// analyses: [] runs none.
	Analyses []string `yaml:"analyses"`
	// SizeEdges are the upper bounds (bytes, ascending) of the IP size
	// histogram slices for the sizes analysis; a last slice takes the rest.
	SizeEdges []float64 `yaml:"size_edges,omitempty"`
	// UpperLayer matches the filter also on the packet's upper-layer
	// header after IPv6 extension headers (hop-by-hop, routing,
	// destination options, the fragment header of a first fragment), as if
	// they were absent: a deliberate difference from tcpdump, whose port
	// and protocol tests stop at the first extension header. Non-first
	// fragments always follow their first fragment's classes.
	UpperLayer bool `yaml:"upper_layer,omitempty"`
	// TCP, RTT and Oneway tune those analyses.
	TCP    TCPOptions    `yaml:"tcp,omitempty"`
	RTT    RTTOptions    `yaml:"rtt,omitempty"`
	Oneway OnewayOptions `yaml:"oneway,omitempty"`

	line  int
	index int // position in the file's classes list; -1 for the added class all
	// undecoded are yaml.v3's type errors of the class's fields: kept
	// here (Parse reports them), as an error would drop the whole class
	// and hide its other faults
	undecoded []string
}

// Hash returns a short hash of the effective configuration (hex of the
// first 8 bytes of the SHA-256 of its YAML form): run.json's config_hash,
// and what a probe's RunConfig PDU carries. Probe keys enter it only as
// RedactedKey (a keyed probe hashes apart from an unkeyed one, but the
// key's text does not count): the hash sits in run.json beside the
// redacted text (RedactedYAML), so a hash over the keys would let anyone
// who reads the file test guessed keys offline (a review: two keys
// recovered from a three-word list). A key rotation alone keeps the hash.
func (c *Config) Hash() string {
	cc := *c
	cc.Probes = redactKeys(c.Probes)
	cc.TUI = TUI{} // display preferences change no measurement
	if cc.ClockJumpS == DefaultClockJumpS {
		cc.ClockJumpS = 0 // omitted: the hash of a version without it stays the one before clock_jump_s existed
	}
	b, _ := yaml.Marshal(&cc)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// File names the config's source: its path, or "<default>".
func (c *Config) File() string { return c.file }

// Line returns the YAML line where the class starts (0 for defaults).
func (c *Class) Line() int { return c.line }

// Has reports whether the class runs the named analysis.
func (c *Class) Has(analysis string) bool { return slices.Contains(c.Analyses, analysis) }

// HasField reports whether the class splits flows by the named field.
func (c *Class) HasField(field string) bool { return slices.Contains(c.Granularity, field) }

// UnmarshalYAML records the class's line for error messages.
func (c *Class) UnmarshalYAML(n *yaml.Node) error {
	type plain Class // without this method
	*c = Class{}
	err := decodeAt(n, (*plain)(c), &c.line)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		c.line, c.undecoded = n.Line, te.Errors
		return nil
	}
	return err
}

// decodeAt decodes n into v, a type without an UnmarshalYAML method, and
// records n's line (for error messages) in *line.
func decodeAt(n *yaml.Node, v any, line *int) error {
	if err := n.Decode(v); err != nil {
		return err
	}
	*line = n.Line
	return nil
}

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse(defaultYAML, "<default>")
	if err != nil {
		panic("config: embedded default is invalid: " + err.Error()) // programmer error
	}
	c.classesDefault = true
	return c
}

// Load reads and validates a YAML config file (Parse). A file with no
// setting at all (empty, blanks, comments only, or an empty document
// `---`) is refused (emptyMsg), where Parse takes such a text for the
// default.
func Load(path string, checks ...Checker) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if noSetting(b) {
		return nil, &Error{File: path, Msg: emptyMsg}
	}
	return Parse(b, path, checks...)
}

// noSetting reports whether b holds no YAML setting: blanks only (tabs
// too, which YAML refuses as indentation), comments only, or an empty
// document. A syntax error is not this (Parse reports it).
func noSetting(b []byte) bool {
	if len(bytes.TrimSpace(b)) == 0 {
		return true
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return false
	}
	return len(root.Content) == 0 || root.Content[0].ShortTag() == "!!null"
}

// emptyMsg is the fault of a file with no setting at all (Load): an
// empty file, or one of blanks and comments only, is refused, not taken
// for the embedded default: it is far more likely a wrong path, a
// truncated or not yet written file than a wish for the default, which
// leaving the file out runs (and `{}` asks for on purpose).
const emptyMsg = "empty: no setting, no class (only blanks or comments): write the settings that change the default, or leave the file out to run the default (tmonbench config prints it)"

// Parse decodes and validates YAML text; file names the source in errors.
// Unknown fields are errors (a typo must not silently do nothing). Every
// field the text leaves out keeps its default; without a classes: field
// the classes are the embedded default's (effective.go). Every fault is
// reported at once (Errors), checks' included; a syntax error alone. A
// text with no setting at all is the default here (Load refuses such a
// file).
func Parse(b []byte, file string, checks ...Checker) (*Config, error) {
	c := &Config{file: file}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil { // a syntax error: FILE:LINE: what
		return nil, syntaxError(file, b, err)
	}
	if len(root.Content) == 1 && root.Content[0].Kind != yaml.MappingNode { // a text, a list
		return nil, &Error{File: file, Line: root.Content[0].Line,
			Msg: "not a tmonbench configuration: want a YAML mapping of settings (interval_s: 60, classes: ...; tmonbench config prints the default)"}
	}
	f := &faults{c: c}
	checkKnown(&root, reflect.TypeOf(c), "", func(u unknownField) {
		where := u.path
		if where == "" {
			where = "top level"
		}
		f.add(&Error{File: file, Line: u.line, Col: u.col, Field: strings.TrimPrefix(u.path+"."+u.key, "."), Msg: fmt.Sprintf("unknown field %q in %s (known: %s)", u.key, where, strings.Join(u.known, ", "))})
	})
	checkShape(&root, reflect.TypeOf(c), "", func(s *shapeError) { // each value at fault made null
		f.add(&Error{File: file, Line: s.line, Field: s.field, Msg: s.msg}) // the column: the key's (faults.err)
	})
	c.root = &root
	if err := c.decode(b, f); err != nil {
		return nil, err
	}
	if !hasKey(&root, "classes") {
		c.Classes, c.classesDefault = defaultClasses(), true
	}
	for i := range c.Classes {
		c.Classes[i].index = i
	}
	c.applyDefaults()
	f.decoded()
	f.add(c.Validate())
	for _, check := range checks {
		for _, e := range check(c) {
			f.add(e)
		}
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	c.Enrich.applyDefaults()
	if c.IntervalS == 0 {
		c.IntervalS = DefaultIntervalS
	}
	if c.ClockJumpS == 0 {
		c.ClockJumpS = DefaultClockJumpS
	}
	if c.FlowTable.MaxFlows == 0 {
		c.FlowTable.MaxFlows = DefaultMaxFlows
	}
	fill(&c.TCPTable, DefaultTCPTable(), false)
	fill(&c.FTPTable, DefaultFTPTable(), false)
	fill(&c.Reassembly, DefaultReassembly(), false)
	hasAll := false
	for i := range c.Classes {
		hasAll = hasAll || c.Classes[i].Name == "all"
	}
	if !hasAll { // the class all counts every IP packet: always present
		c.Classes = append([]Class{{index: -1, Name: "all", Analyses: []string{AnalysisCounters}}}, c.Classes...)
	}
	for i := range c.Classes {
		cl := &c.Classes[i]
		if cl.Granularity == nil {
			cl.Granularity = []string{FieldIPVersion, FieldProtocol, FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort}
		}
		if cl.IdleTimeoutS == 0 {
			cl.IdleTimeoutS = 300
		}
		if cl.Analyses == nil {
			cl.Analyses = []string{AnalysisCounters}
		}
		if cl.Has(AnalysisSizes) && cl.SizeEdges == nil {
			cl.SizeEdges = []float64{64, 128, 256, 512, 1024, 1500}
		}
		if r := &cl.RTT; cl.Has(AnalysisRTT) {
			if r.SlicesMs == nil {
				r.SlicesMs = []float64{2, 10, 50}
			}
			if r.TimeoutS == 0 {
				r.TimeoutS = 10
			}
		}
		if cl.Has(AnalysisOneway) {
			o := &cl.Oneway
			if o.SignatureBits == 0 {
				o.SignatureBits = 32
			}
			if o.TimeoutS == 0 {
				o.TimeoutS = 5
			}
			if o.Latency.From == "" && len(o.Hops) > 0 {
				o.Latency.From = o.Hops[0]
			}
			if o.Latency.To == "" && len(o.Hops) > 0 {
				o.Latency.To = o.Hops[len(o.Hops)-1]
			}
			if o.Latency.SlicesMs == nil {
				o.Latency.SlicesMs = []float64{1, 2, 5, 10, 20, 50, 100}
			}
		}
	}
}

// Validate checks every field; each error names the line and field: the
// line of the field in the file (of the offending item, for a list)
// when it is there, else the line given (the class's). Every fault is
// reported (Errors when more than one); a check that found one goes on
// with the next (bad records it and returns nil).
func (c *Config) Validate() error {
	errs := &faults{c: c}
	bad := func(line int, field, format string, a ...any) error {
		item := "" // a list's offending item is the message's first string
		if len(a) > 0 {
			item, _ = a[0].(string)
		}
		col := 0
		if l, k := c.posOf(field, item); l > 0 {
			line, col = l, k
		}
		errs.add(&Error{File: c.file, Line: line, Col: col, Field: field, Msg: fmt.Sprintf(format, a...)})
		return nil
	}
	if c.ValidFrom != "" {
		if _, err := time.Parse(time.RFC3339Nano, c.ValidFrom); err != nil {
			bad(0, "valid_from", "want an RFC 3339 time such as 2026-12-03T18:00:00Z, got %q", c.ValidFrom)
		}
	}
	if !(c.IntervalS >= 1 && c.IntervalS <= 86400) { // also rejects NaN
		bad(0, "interval_s", "must be between 1 and 86400 seconds (0 or absent: %g), got %g", float64(DefaultIntervalS), c.IntervalS)
	} else if c.IntervalS != math.Trunc(c.IntervalS) {
		bad(0, "interval_s", "must be a whole number of seconds, got %v: %s", c.IntervalS, fractionWhy)
	}
	if !(c.ClockJumpS >= 1 && c.ClockJumpS <= maxClockJumpS) {
		bad(0, "clock_jump_s", "must be between 1 and %d seconds (0 or absent: %d), got %g", maxClockJumpS, DefaultClockJumpS, c.ClockJumpS)
	}
	if n := c.FlowTable.MaxFlows; n < 1 || n > MaxMaxFlows {
		mem := "" // what the table could take
		if n > MaxMaxFlows {
			mem = fmt.Sprintf(" (~%d B a flow: %s)", flowBytes, sizeText(float64(n)*flowBytes))
		}
		bad(0, "flow_table.max_flows", "must be between 1 and %d (0 or absent: %d), got %d%s", MaxMaxFlows, DefaultMaxFlows, n, mem)
	}
	errs.add(c.validateTables())
	errs.add(c.Enrich.validate(c.file, c.lineOf))
	errs.add(c.validateTUI())
	if len(c.Classes) > 256 {
		bad(0, "classes", "at most 256 classes, got %d", len(c.Classes))
	}
	names := map[string]int{}
	for i := range c.Classes {
		cl := &c.Classes[i]
		f := fmt.Sprintf("classes[%d]", cl.index)
		if cl.Name == "" {
			bad(cl.line, f+".name", "missing")
		} else if j, dup := names[cl.Name]; dup {
			bad(cl.line, f+".name", "%q already names classes[%d]", cl.Name, c.Classes[j].index)
		} else {
			names[cl.Name] = i
		}
		if cl.Name == "all" && cl.Filter != "" {
			bad(cl.line, f+".filter", "the class all counts every IP packet and keeps no filter; give a filtered class another name")
		}
		for k, g := range cl.Granularity {
			if !slices.Contains(Fields, g) {
				bad(cl.line, f+".granularity", "unknown field %q (known: %s)", g, strings.Join(Fields, ", "))
			} else if slices.Contains(cl.Granularity[:k], g) {
				bad(cl.line, f+".granularity", "%q named twice", g)
			}
		}
		for _, a := range cl.Analyses {
			if !slices.Contains(Analyses, a) {
				bad(cl.line, f+".analyses", "unknown analysis %q (known: %s)", a, strings.Join(Analyses, ", "))
			}
		}
		c.unusedSettings(cl, bad, f)
		if !(cl.IdleTimeoutS > 0) || math.IsInf(cl.IdleTimeoutS, 0) {
			bad(cl.line, f+".idle_timeout_s", "must be a positive number of seconds (0 or absent: 300), got %g", cl.IdleTimeoutS)
		}
		for k := 1; k < len(cl.SizeEdges); k++ {
			if cl.SizeEdges[k] <= cl.SizeEdges[k-1] {
				bad(cl.line, f+".size_edges", "must be ascending")
				break
			}
		}
		if r := &cl.RTT; cl.Has(AnalysisRTT) {
			if !ascending(r.SlicesMs) {
				bad(cl.line, f+".rtt.slices_ms", "must be positive and ascending")
			}
			if !(r.TimeoutS > 0) || math.IsInf(r.TimeoutS, 0) { // also NaN
				bad(cl.line, f+".rtt.timeout_s", "must be a positive number of seconds (0 or absent: 10), got %g", r.TimeoutS)
			}
		}
		for _, k := range cl.RTT.Kinds {
			if !slices.Contains(RTTKinds, k) {
				bad(cl.line, f+".rtt.kinds", "unknown kind %q (known: %s)", k, strings.Join(RTTKinds, ", "))
			}
		}
		if cl.Has(AnalysisOneway) {
			cl.validateOneway(bad, f)
		}
	}
	names = map[string]int{}
	keys := 0
	for i, p := range c.Probes {
		if p.Key != "" {
			keys++
		}
		if p.Name == "" {
			bad(0, fmt.Sprintf("probes[%d].name", i), "missing")
		} else if _, dup := names[p.Name]; dup {
			bad(0, fmt.Sprintf("probes[%d].name", i), "%q named twice", p.Name)
		} else {
			names[p.Name] = i
		}
	}
	if keys > 0 && keys < len(c.Probes) {
		bad(0, "probes", "%d of %d probes have a key: with authentication every probe needs one", keys, len(c.Probes))
	}
	if len(c.Probes) > 65535 {
		bad(0, "probes", "at most 65535 probes")
	}
	names = map[string]int{}
	for i, cl := range c.Collectors {
		f := fmt.Sprintf("collectors[%d]", i)
		if cl.Name == "" {
			bad(0, f+".name", "missing")
		} else if _, dup := names[cl.Name]; dup {
			bad(0, f+".name", "%q named twice", cl.Name)
		} else {
			names[cl.Name] = i
		}
		if cl.MaxPDUBytes != 0 && (cl.MaxPDUBytes < 128 || cl.MaxPDUBytes > 65507) { // one UDP datagram over IPv4 (pdu.MaxFrameBytes)
			bad(0, f+".max_pdu_bytes", "must be between 128 and 65507, one UDP datagram (0 or absent: %d), got %d", DefaultCollector().MaxPDUBytes, cl.MaxPDUBytes)
		}
		cl.checkRegulation(bad, f)
		if p := addressProblem(cl.Address); p != "" {
			bad(0, f+".address", "%q: %s", cl.Address, p)
		}
		cl.checkFaults(bad, f)
	}
	c.checkBuildBelowTimeout(bad)
	return errs.err()
}

// settingsOf names the class fields that tune one analysis each: the
// probe reads them only when the class runs that analysis.
var settingsOf = []struct{ key, analysis string }{
	{"rtt", AnalysisRTT}, {"oneway", AnalysisOneway}, {"tcp", AnalysisTCP}, {"size_edges", AnalysisSizes},
}

// unusedSettings refuses a class whose file sets the settings of an
// analysis the class does not run (rtt: without rtt in its analyses):
// they would be ignored without a word, and the class would measure less
// than its file says.
func (c *Config) unusedSettings(cl *Class, bad func(int, string, string, ...any) error, f string) error {
	for _, s := range settingsOf {
		if !cl.Has(s.analysis) && c.lineOf(f+"."+s.key, "") > 0 {
			return bad(cl.line, f+"."+s.key, "settings of the %s analysis, which the class does not run (analyses: [%s]): add %s to its analyses, or remove them",
				s.analysis, strings.Join(cl.Analyses, ", "), s.analysis)
		}
	}
	return nil
}

// RTTKinds lists the round-trip kinds (rtt_samples.kind).
var RTTKinds = []string{"icmp_echo", "dns", "snmp", "ntp", "tcp_handshake", "tcp_ts"}

// InEffect is the one line of a switch-over to this version, replacing
// the version of hash from (the config_switch_start event, and what the
// collector, live and the probe print): "configuration H in effect
// (valid_from "2026-12-06T10:00:00Z"), replacing G", or "(at once: no
// valid_from)".
func (c *Config) InEffect(from string) string {
	when := "at once: no valid_from"
	if c.ValidFrom != "" {
		when = fmt.Sprintf("valid_from %q", c.ValidFrom)
	}
	return fmt.Sprintf("configuration %s in effect (%s), replacing %s", c.Hash(), when, from)
}

// ValidFromNs returns ValidFrom in Unix nanoseconds, and false when the
// version takes effect at once.
func (c *Config) ValidFromNs() (int64, bool) {
	t, err := time.Parse(time.RFC3339Nano, c.ValidFrom)
	if c.ValidFrom == "" || err != nil {
		return 0, false
	}
	return t.UnixNano(), true
}
