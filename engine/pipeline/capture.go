package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// Capture is one capture file of a replay and where its packets go: the
// probe named Probe, on its interface Iface, or, when Iface is "", on one
// interface of the probe per interface of the file.
type Capture struct {
	Path  string
	Probe string
	Iface string
	// Ifaces names the file's capture interfaces in file-wide order
	// (pkt.Meta.Iface indexes it): a pcapng's if_name of each interface of
	// each section, "" when it has none (replay.ScanInterfaces). nil or
	// one name: the file is one interface.
	Ifaces []string
	// Found is true for a file a folder or a quoted glob brought in
	// (Captures), false for one named (a plain argument, a spec, "-"): a
	// command may skip a found file that is not a capture, never a named
	// one.
	Found bool
}

// ErrCaptureSpec: a NAME=PCAP or NAME/IFACE=PCAP spec does not parse, or
// no capture was given (a command-line mistake).
var ErrCaptureSpec = errors.New("pipeline: bad capture spec")

// ErrNoCaptureFile: a folder or a glob names no capture file, or the
// folder cannot be read (an input problem, as a missing file is).
var ErrNoCaptureFile = errors.New("pipeline: no capture file")

// Captures turns the specs NAME=PCAP or NAME/IFACE=PCAP (replay --probe)
// and the plain arguments into captures, specs first. A plain argument is
// a capture file (each a probe named after its file; a file descriptor's
// path, /dev/fd/N as bash's <(cmd) gives, after what it is open on:
// fdName), "-" (standard input, probe "stdin"), a directory (every capture file in it, one probe
// named after the directory: the rotated files of one capture point,
// tcpdump -C/-G) or a glob such as 'rot/eth0-*.pcap' (quoted: one probe
// named after the pattern). Names are made unique and readable with the
// parent folders ("ftp/A" and "tcp-mix/A" for two A.pcap files). A file
// the plain arguments name twice, by any path, is refused (onceEach), as
// is one file two specs give the same probe, on any interface (specsOnce).
// Errors wrap ErrCaptureSpec or ErrNoCaptureFile.
func Captures(files, specs []string) ([]Capture, error) {
	var caps []Capture
	for _, s := range specs {
		name, path, ok := strings.Cut(s, "=")
		if !ok || name == "" || path == "" {
			return nil, fmt.Errorf("%w: --probe %q: want NAME=PCAP or NAME/IFACE=PCAP", ErrCaptureSpec, s)
		}
		probeName, iface, hasIface := strings.Cut(name, "/")
		if probeName == "" || (hasIface && (iface == "" || strings.Contains(iface, "/"))) {
			return nil, fmt.Errorf("%w: --probe %q: want NAME=PCAP or NAME/IFACE=PCAP with non-empty names", ErrCaptureSpec, s)
		}
		caps = append(caps, Capture{Path: path, Probe: probeName, Iface: iface})
	}
	if err := specsOnce(caps, specs); err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, c := range caps {
		used[c.Probe] = true
	}
	stdin := false
	var groups []group
	for _, f := range files {
		if f == "-" {
			if stdin {
				return nil, fmt.Errorf("%w: standard input (-) given twice", ErrCaptureSpec)
			}
			stdin = true
		}
		g, err := expand(f)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	if err := onceEach(groups); err != nil {
		return nil, err
	}
	for i, name := range uniqueNames(groups, used) {
		for _, p := range groups[i].paths {
			c := Capture{Path: p, Probe: name, Found: groups[i].one}
			if groups[i].one {
				c.Iface = "if0" // rotated files of one interface
			}
			caps = append(caps, c)
		}
	}
	if len(caps) == 0 {
		return nil, fmt.Errorf("%w: replay: no capture given (tmonbench replay [flags] PCAP...)", ErrCaptureSpec)
	}
	return caps, nil
}

// onceEach refuses a capture file that the plain arguments name twice
// (the same file, whatever the path: "a.pcap ./a.pcap", a file and its
// folder, overlapping globs): it would be replayed as two probes seeing
// the same packets, which is a mistake far more often than a wish; the
// wish has its form, --probe A=F --probe B=F.
func onceEach(groups []group) error {
	type seen struct {
		path string
		info os.FileInfo
	}
	var files []seen
	for _, g := range groups {
		for _, p := range g.paths {
			st, err := os.Stat(p)
			if p == "-" || err != nil || !st.Mode().IsRegular() {
				continue // stdin, or not there: the reader says why
			}
			for _, f := range files {
				if os.SameFile(f.info, st) {
					what := p + " is given twice"
					if f.path != p {
						what = p + " and " + f.path + " are the same file"
					}
					return fmt.Errorf("%w: %s: each capture argument is a probe of its own; to replay one file as two probes, name them: --probe A=%s --probe B=%s", ErrCaptureSpec, what, p, p)
				}
			}
			files = append(files, seen{p, st})
		}
	}
	return nil
}

// specsOnce refuses a capture file that two specs (caps, from specs in
// the same order) give to the same probe, whatever the paths and the
// interfaces: "--probe A/eth0=F --probe A/eth0=F" or "--probe A=F
// --probe A=./F" would feed the probe every packet of F twice (every
// count doubled), "--probe A/eth0=F --probe A/eth1=F" the same packets
// on two of its interfaces. One file under two probes stays allowed: it
// is how a file is replayed as two probes (--probe A=F --probe B=F).
func specsOnce(caps []Capture, specs []string) error {
	infos := make([]os.FileInfo, len(caps))
	for i, c := range caps {
		st, err := os.Stat(c.Path)
		if err != nil || !st.Mode().IsRegular() {
			continue // not there, or not a file: the reader says why
		}
		infos[i] = st
		for j := range i {
			if caps[j].Probe == c.Probe && infos[j] != nil && os.SameFile(infos[j], st) {
				what := "--probe " + specs[i] + " is given twice"
				if specs[j] != specs[i] {
					what = "--probe " + specs[j] + " and --probe " + specs[i] + " give probe " + c.Probe + " the same file"
				}
				return fmt.Errorf("%w: %s: the probe would count every packet twice; each file once per probe; to replay one file as two probes, name them: --probe A=%s --probe B=%s",
					ErrCaptureSpec, what, c.Path, c.Path)
			}
		}
	}
	return nil
}

// group is what one plain argument of Captures names: its files, the path
// its probe is named after, and whether it is one capture point (a folder
// or a glob: its files are one interface).
type group struct {
	paths []string
	name  string
	one   bool
}

// expand reads a plain argument of Captures.
func expand(arg string) (group, error) {
	if arg == "-" {
		return group{paths: []string{"-"}, name: "stdin"}, nil
	}
	st, err := os.Stat(arg)
	switch {
	case err == nil && st.IsDir():
		ents, err := os.ReadDir(arg)
		if err != nil {
			return group{}, fmt.Errorf("%w: %v", ErrNoCaptureFile, err)
		}
		g := group{name: filepath.Clean(arg), one: true}
		for _, e := range ents { // ReadDir sorts by name
			if !strings.HasPrefix(e.Name(), ".") && e.Type().IsRegular() {
				g.paths = append(g.paths, filepath.Join(arg, e.Name()))
			}
		}
		if len(g.paths) == 0 {
			return group{}, fmt.Errorf("%w: folder %s holds no capture file", ErrNoCaptureFile, arg)
		}
		return g, nil
	case err != nil && strings.ContainsAny(arg, "*?["):
		paths, gerr := filepath.Glob(arg)
		if gerr != nil || len(paths) == 0 {
			return group{}, fmt.Errorf("%w: %s matches no file", ErrNoCaptureFile, arg)
		}
		dir, pat := filepath.Split(arg)
		base := strings.TrimRight(pat[:strings.IndexAny(pat, "*?[")], "-_.")
		if base == "" {
			base = filepath.Base(filepath.Clean(dir))
		}
		return group{paths: paths, name: filepath.Join(dir, base), one: true}, nil
	}
	return group{paths: []string{arg}, name: fdName(arg)}, nil
}

// fdName is the path a capture argument's probe is named after: arg
// itself, except for a path naming an open file descriptor (/dev/fd/N,
// /proc/self/fd/N, /proc/PID/fd/N, /dev/stdin: bash's <(cmd) gives
// /dev/fd/63), whose number says nothing of the capture: "stdin" for
// descriptor 0 (as for "-"), the file it is open on when that is a file
// (3<x.pcap: x), "pipe" for a pipe (<(zcat x.pcap.gz); several are
// pipe, pipe-2, ...), else "fdN". Until 2026-12 such a probe was named
// after the number ("63").
func fdName(arg string) string {
	n, ok := fdNumber(arg)
	switch {
	case !ok:
		return arg
	case n == "0":
		return "stdin"
	}
	target, err := os.Readlink(arg)
	switch {
	case err == nil && filepath.IsAbs(target):
		return target
	case err == nil && strings.HasPrefix(target, "pipe:"):
		return "pipe"
	}
	return "fd" + n
}

// fdNumber returns the descriptor number a path names, for /dev/fd/N,
// /proc/self/fd/N, /proc/PID/fd/N and /dev/stdin (0).
func fdNumber(path string) (string, bool) {
	p := filepath.ToSlash(filepath.Clean(path))
	if p == "/dev/stdin" {
		return "0", true
	}
	dir, n := filepath.Split(p)
	if n == "" || strings.Trim(n, "0123456789") != "" {
		return "", false
	}
	if dir == "/dev/fd/" || dir == "/proc/self/fd/" {
		return n, true
	}
	pid, ok := strings.CutPrefix(dir, "/proc/")
	pid, ok2 := strings.CutSuffix(pid, "/fd/")
	return n, ok && ok2 && pid != "" && strings.Trim(pid, "0123456789") == ""
}

// uniqueNames names each group's probe after its path: the base name
// (ProbeName), with as many parent folders as it takes to tell it from
// the others ("ftp/A", "tcp-mix/A"), else a -N suffix. Names in used are
// taken already.
func uniqueNames(groups []group, used map[string]bool) []string {
	parts := make([][]string, len(groups))
	depth := make([]int, len(groups))
	names := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = strings.Split(filepath.ToSlash(filepath.Clean(g.name)), "/")
		depth[i] = 1
	}
	name := func(i int) string {
		p := parts[i]
		d := min(depth[i], len(p))
		n := append(append([]string{}, p[len(p)-d:len(p)-1]...), ProbeName(p[len(p)-1]))
		return strings.Join(n, "/")
	}
	for round := 0; ; round++ {
		same := map[string][]int{} // name -> groups holding it
		for i := range groups {
			names[i] = name(i)
			same[names[i]] = append(same[names[i]], i)
		}
		grown := false
		for n, idx := range same {
			apart := used[n] // a spec's name: move away from it
			for _, i := range idx[1:] {
				apart = apart || strings.Join(parts[i], "/") != strings.Join(parts[idx[0]], "/")
			}
			if !apart { // one name, or the same path given twice: -N below
				continue
			}
			for _, i := range idx {
				if d := depth[i]; d < len(parts[i]) && !stop(parts[i][len(parts[i])-d-1]) {
					depth[i]++
					grown = true
				}
			}
		}
		if !grown || round > 64 {
			break
		}
	}
	taken := map[string]bool{}
	for k := range used {
		taken[k] = true
	}
	for i, base := range names {
		n := base
		for k := 2; taken[n]; k++ {
			n = fmt.Sprintf("%s-%d", base, k)
		}
		taken[n] = true
		names[i] = n
	}
	return names
}

// stop: a path element probe names do not grow into.
func stop(elem string) bool { return elem == "" || elem == ".." || elem == "." }

// ProbeName names a probe after its capture file: base name without
// .gz, .pcapng, .pcap, .cap.
func ProbeName(path string) string {
	b := filepath.Base(path)
	for _, ext := range []string{".gz", ".pcapng", ".pcap", ".cap"} {
		b = strings.TrimSuffix(b, ext)
	}
	if b == "" || b == "." || b == "/" {
		b = "probe"
	}
	return b
}

// ErrTooManyIfaces: the captures of one probe describe more interfaces
// than a probe can number (pkt.MaxIfaces).
var ErrTooManyIfaces = errors.New("pipeline: too many interfaces")

// Assign groups captures into probes (in order of first appearance) and
// interfaces within them: the probes' identities, and for each capture
// its route (Input without Source). A capture with Iface set is that one
// interface of its probe. Otherwise each interface of the file (Ifaces)
// is an interface of the probe named after its if_name, or if0, if1, ...
// in order of appearance within the probe when it has none; interfaces
// of the same name (in several sections or files of one probe) are one
// interface. So NAME=FILE gives a probe all the interfaces of FILE, and
// two interfaces of one file can be the two hops of a one-way class.
//
// A probe has at most pkt.MaxIfaces interfaces (index 0 to 65,535, the
// 16 bits of pkt.Meta.Iface): one pcapng cannot describe more (replay
// stops it at the 65,537th), but several files of one probe can add up
// to more. Assign then returns an error wrapping ErrTooManyIfaces that
// names the first such probe and its count, and no probe: numbering the
// rest modulo 2^16 would merge two interfaces' packets under one name.
func Assign(caps []Capture) ([]probe.Identity, []Input, error) {
	var ids []probe.Identity
	index := map[string]int{}
	var ifIndex []map[string]int // per probe: interface name -> index (a pcapng may have 65,536)
	routes := make([]Input, len(caps))
	for i, c := range caps {
		pi, ok := index[c.Probe]
		if !ok {
			pi = len(ids)
			index[c.Probe] = pi
			ids = append(ids, probe.Identity{Name: c.Probe})
			ifIndex = append(ifIndex, map[string]int{})
		}
		id := &ids[pi]
		names := c.Ifaces
		if c.Iface != "" || len(names) == 0 {
			names = []string{c.Iface}
		}
		r := Input{Probe: pi}
		for k, name := range names {
			if name == "" {
				name = fmt.Sprintf("if%d", len(id.Interfaces))
			}
			ii, ok := ifIndex[pi][name]
			if !ok {
				ii = len(id.Interfaces)
				ifIndex[pi][name] = ii
				id.Interfaces = append(id.Interfaces, name)
			}
			if ii >= pkt.MaxIfaces {
				continue // refused below, once the probe's count is known
			}
			if k == 0 {
				r.Iface = uint16(ii)
			}
			if len(names) > 1 {
				r.Ifaces = append(r.Ifaces, uint16(ii))
			}
		}
		routes[i] = r
	}
	for _, id := range ids {
		if n := len(id.Interfaces); n > pkt.MaxIfaces {
			return nil, nil, fmt.Errorf("%w: probe %s: its captures describe %d interfaces, at most %d (numbered 0 to %d): give some of its files a probe of their own (--probe NAME=FILE)",
				ErrTooManyIfaces, id.Name, n, pkt.MaxIfaces, pkt.MaxIfaces-1)
		}
	}
	return ids, routes, nil
}

// UnseenHops returns a warning line for every hop of a one-way class of
// cfg that no capture point of probes reaches (oneway.HopIndex: a hop
// "P" is probe P's, "P/I" its interface I): no packet is seen there, so
// every packet of the class that should reach it counts as dropped, and a
// hop misspelled or of a probe left out of the run is easy to miss in a
// 100 % drop. The lines name the class, the hop and the run's capture
// points, probe/interface ("probes P/eth0, Q/if0"; a probe without
// interfaces by its name), so that a hop naming an interface the probe
// does not capture on (P/eth1) shows why it does not match.
func UnseenHops(cfg *config.Config, probes []probe.Identity) []string {
	var names []string
	for _, p := range probes {
		if len(p.Interfaces) == 0 {
			names = append(names, p.Name)
		}
		for _, iface := range p.Interfaces {
			names = append(names, p.Name+"/"+iface)
		}
	}
	var w []string
	for _, cl := range cfg.Classes {
		if !cl.Has(config.AnalysisOneway) {
			continue
		}
		for _, h := range cl.Oneway.Hops {
			if !hopSeen(h, probes) {
				w = append(w, fmt.Sprintf("one-way class %q: hop %q is no probe (or probe/interface) of this run (probes %s): no packet is seen there, so every packet that should reach it counts as dropped on the pairs with it (not lost or missed)",
					cl.Name, h, strings.Join(names, ", ")))
			}
		}
	}
	return w
}

// hopSeen reports whether some capture point of probes is hop h.
func hopSeen(h string, probes []probe.Identity) bool {
	for _, p := range probes {
		if h == p.Name {
			return true
		}
		for _, iface := range p.Interfaces {
			if h == p.Name+"/"+iface {
				return true
			}
		}
	}
	return false
}
