package filter

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// bpfRun runs a compiled program in the x/net/bpf VM over one frame the
// way the kernel would: the frame's length (SKF_AD_LEN, which the VM
// takes from the captured bytes) is the wire length, and with kernel set
// an outermost VLAN tag is taken out of an Ethernet frame into the
// ancillary data (SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TAG), as Linux does
// for AF_PACKET sockets. The VM implements neither ancillary load, so the
// program's loads are replaced by the constants the kernel would give.
func bpfRun(t testing.TB, prog []bpf.Instruction, fr *frame, kernel bool) bool {
	t.Helper()
	data, wire := fr.data, fr.d.Meta.WireLen
	present, tci := uint32(0), uint32(0)
	if kernel && fr.d.Meta.LinkType == pkt.LinkEthernet && len(data) >= 18 {
		switch binary.BigEndian.Uint16(data[12:]) {
		case 0x8100, 0x88a8, 0x9100:
			present, tci = 1, uint32(binary.BigEndian.Uint16(data[14:]))
			data = append(append([]byte(nil), data[:12]...), data[16:]...)
			wire -= 4
		}
	}
	p := make([]bpf.Instruction, len(prog))
	for i, in := range prog {
		p[i] = in
		if x, ok := in.(bpf.LoadExtension); ok {
			switch x.Num {
			case bpf.ExtLen:
				p[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: wire}
			case bpf.ExtVLANTagPresent:
				p[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: present}
			case bpf.ExtVLANTag:
				p[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: tci}
			}
		}
	}
	vm, err := bpf.NewVM(p)
	if err != nil {
		t.Fatalf("bpf VM: %v", err)
	}
	n, err := vm.Run(data)
	if err != nil {
		t.Fatalf("bpf run: %v", err)
	}
	return n > 0
}

// bpfTargets are the two ways a program is compiled for frames of link
// type lt: as a file's frames, and (Ethernet) as a Linux socket sees them.
func bpfTargets(lt pkt.LinkType) []BPFTarget {
	ts := []BPFTarget{{LinkType: lt}}
	if lt == pkt.LinkEthernet {
		ts = append(ts, BPFTarget{LinkType: lt, KernelVLAN: true})
	}
	return ts
}

// bpfSelect returns the frames (not in skip) the program compiled from
// expr for frames' link type selects, per target. All frames of a capture
// of the tables share one link type.
func bpfSelect(t testing.TB, expr string, frames []frame, skip map[uint64]bool) [][]uint64 {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]uint64
	for _, tg := range bpfTargets(frames[0].d.Meta.LinkType) {
		prog, err := e.BPF(tg)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		var sel []uint64
		for i := range frames {
			if frames[i].d.Meta.LinkType != tg.LinkType {
				t.Fatalf("frame %d: link type %s in a %s capture", frames[i].num, frames[i].d.Meta.LinkType, tg.LinkType)
			}
			if !skip[frames[i].num] && bpfRun(t, prog, &frames[i], tg.KernelVLAN) {
				sel = append(sel, frames[i].num)
			}
		}
		out = append(out, sel)
	}
	return out
}

// checkBPF is called by TestTcpdumpEquivalence for every filter and
// capture: the compiled program, run in the x/net/bpf VM over every frame
// (as a file's frames and as a Linux socket sees them), selects exactly
// the frames tcpdump selects.
func checkBPF(t *testing.T, c eqCase, frames []frame, skip map[uint64]bool, want []uint64, origin []string) {
	t.Helper()
	for i, got := range bpfSelect(t, c.ours, frames, skip) {
		if !slices.Equal(got, want) {
			t.Errorf("filter %q: cBPF (kernel VLAN %v) %v, tcpdump %v", c.ours, i == 1, frameNames(origin, got), frameNames(origin, want))
		}
	}
}

// TestBPFAgainstSieve runs every filter of the equivalence tables, compiled
// to cBPF, over every frame of their captures, malformed and non-IP frames
// included, without tcpdump: the program accepts every frame Expr.Match
// accepts (it never drops what the sieve keeps) and, on every frame the
// dissector decodes (IP or not), exactly those.
func TestBPFAgainstSieve(t *testing.T) {
	root := samplesDir(t)
	type job struct {
		file    string
		filters []eqCase
	}
	var jobs []job
	for _, f := range plainCaptures {
		jobs = append(jobs, job{f, plainFilters})
	}
	for _, v := range vlanCaptures {
		jobs = append(jobs, job{v.file, v.filters})
	}
	runs := 0
	for _, j := range jobs {
		t.Run(filepath.Base(j.file), func(t *testing.T) {
			frames := loadFrames(t, filepath.Join(root, j.file))
			for _, c := range j.filters {
				e, _ := Parse(c.ours)
				for ti, tg := range bpfTargets(frames[0].d.Meta.LinkType) {
					prog, err := e.BPF(tg)
					if err != nil {
						t.Fatalf("%q: %v", c.ours, err)
					}
					extra := 0
					for k := range frames {
						fr := &frames[k]
						want := fr.err != dissect.ErrMalformed && e.Match(&fr.d)
						got := bpfRun(t, prog, fr, ti == 1)
						switch {
						case want && !got:
							t.Errorf("%q (kernel VLAN %v): frame %d dropped by cBPF, kept by the sieve", c.ours, ti == 1, fr.num)
						case got && !want && !errors.Is(fr.err, dissect.ErrMalformed):
							t.Errorf("%q (kernel VLAN %v): frame %d kept by cBPF, dropped by the sieve", c.ours, ti == 1, fr.num)
						case got && !want:
							extra++
						}
						runs++
					}
					if extra > 0 {
						t.Logf("%q: %d malformed frames passed to user space", c.ours, extra)
					}
				}
			}
		})
	}
	t.Logf("%d program runs", runs)
}

// unionClasses are the classes of TestUnionBPF and FuzzBPFAgainstSieve's
// union program: ports, a host, tags and a TCP flag.
func unionClasses(tb testing.TB) []Expr {
	var es []Expr
	for _, s := range []string{"tcp port 21", "udp port 53 or tcp port 53", "host 2001:470:4867:99::21", "vlan 20 and tcp-syn"} {
		e, err := Parse(s)
		if err != nil {
			tb.Fatal(err)
		}
		es = append(es, e)
	}
	return es
}

// TestUnionBPF checks the class-union program: it passes every frame some
// class matches, every fragment and every ICMP packet (Keep), and drops
// the rest of the well-formed frames.
func TestUnionBPF(t *testing.T) {
	root := samplesDir(t)
	es := unionClasses(t)
	files := append(slices.Clone(plainCaptures), "pcap/vlan/zeek_vlan-pcp-dei.pcapng")
	for _, f := range files {
		frames := loadFrames(t, filepath.Join(root, f))
		for ti, tg := range bpfTargets(frames[0].d.Meta.LinkType) {
			prog, err := UnionBPF(es, Keep{Fragments: true, ICMP: true}, tg)
			if err != nil {
				t.Fatal(err)
			}
			kept := 0
			for k := range frames {
				fr := &frames[k]
				if errors.Is(fr.err, dissect.ErrMalformed) {
					continue
				}
				want := fr.d.Flags&(dissect.IsFrag|dissect.HasV6FragHdr) != 0 || fr.d.IPVersion == 4 && fr.d.Protocol == 1 ||
					fr.d.IPVersion == 6 && v6Proto(v6ProtoKey(&fr.d), 58)
				for _, e := range es {
					want = want || e.Match(&fr.d)
				}
				if got := bpfRun(t, prog, fr, ti == 1); got != want {
					t.Errorf("%s frame %d (kernel VLAN %v): union program %v, classes %v", f, fr.num, ti == 1, got, want)
				}
				if want {
					kept++
				}
			}
			if ti == 0 {
				t.Logf("%s: %d of %d frames kept", filepath.Base(f), kept, len(frames))
			}
		}
	}
	all, err := UnionBPF([]Expr{es[0], {}}, Keep{}, BPFTarget{LinkType: pkt.LinkEthernet, SnapLen: 128})
	if err != nil || len(all) != 1 || all[0] != (bpf.RetConstant{Val: 128}) {
		t.Errorf("a class matching everything: %v %v, want one ret #128", all, err)
	}
}

// TestBPFUnsupported: link types without a translation are refused with
// ErrBPFUnsupported, never compiled to a wrong program.
func TestBPFUnsupported(t *testing.T) {
	e, _ := Parse("tcp")
	if _, err := e.BPF(BPFTarget{LinkType: 147}); !errors.Is(err, ErrBPFUnsupported) {
		t.Errorf("LINKTYPE_USER0: %v, want ErrBPFUnsupported", err)
	}
	if _, err := e.BPF(BPFTarget{LinkType: pkt.LinkLinuxSLL, KernelVLAN: true}); !errors.Is(err, ErrBPFUnsupported) {
		t.Errorf("SLL with kernel VLAN: %v, want ErrBPFUnsupported", err)
	}
	// Byte offsets: the EtherType's bytes moved with the VLAN tag the
	// kernel took out; arithmetic deeper than the scratch memory.
	for _, c := range []struct {
		expr   string
		kernel bool // unsupported only with the tag in the metadata
	}{
		{"ether[12:2] = 0x800", true},
		{"ether[ip[0] & 1] = 0", true},
		{"ip[0] + (ip[1] + (ip[2] + (ip[3] + ip[4]))) = 1", false},
	} {
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.BPF(BPFTarget{LinkType: pkt.LinkEthernet, KernelVLAN: true})
		if !errors.Is(err, ErrBPFUnsupported) {
			t.Errorf("%q with kernel VLAN: %v, want ErrBPFUnsupported", c.expr, err)
		}
		_, err = e.BPF(BPFTarget{LinkType: pkt.LinkEthernet})
		if c.kernel && err != nil || !c.kernel && !errors.Is(err, ErrBPFUnsupported) {
			t.Errorf("%q on a file's frames: %v", c.expr, err)
		}
	}
	for _, ok := range []string{"ether[0:4] = 1 and ether[8:4] = 1", "ip[0] + ip[1] + ip[2] + ip[3] + ip[4] + ip[5] = 1"} {
		e, _ := Parse(ok)
		if _, err := e.BPF(BPFTarget{LinkType: pkt.LinkEthernet, KernelVLAN: true}); err != nil {
			t.Errorf("%q with kernel VLAN: %v", ok, err)
		}
	}
}
