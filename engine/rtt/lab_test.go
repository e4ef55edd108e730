package rtt

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// labPair is one row of lab/dns-snmp-ntp/rtt_pairs.csv: a pair tshark
// matched at one capture point.
type labPair struct {
	protocol, transport string
	reqNs, rttNs        int64
	client, server      string
	cport, sport        uint16
	detail              string
}

func readLabPairs(t *testing.T, dir, point string) []labPair {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "rtt_pairs.csv"))
	if err != nil {
		t.Fatalf("lab truth: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// point,protocol,transport,req_frame,resp_frame,req_ts_ns,resp_ts_ns,rtt_ns,
	// client,client_port,server,server_port,detail
	var out []labPair
	for _, r := range rows[1:] {
		if r[0] != point {
			continue
		}
		n := func(s string) int64 {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("rtt_pairs.csv: %q: %v", s, err)
			}
			return v
		}
		out = append(out, labPair{protocol: r[1], transport: r[2], reqNs: n(r[5]), rttNs: n(r[7]),
			client: r[8], cport: uint16(n(r[9])), server: r[10], sport: uint16(n(r[11])), detail: r[12]})
	}
	return out
}

// labCounts is summary.json per_point.<point>.<protocol>.
type labCounts struct {
	Requests          int `json:"requests"`
	Responses         int `json:"responses"`
	PairsTshark       int `json:"pairs_tshark"`
	UnansweredTshark  int `json:"unanswered_tshark"`
	NotPairedByTshark int `json:"responses_not_paired_by_tshark"`
	PairsIndependent  int `json:"pairs_independent"`
}

type labStats struct {
	N    int     `json:"n"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type labPoint struct {
	DNS       labCounts `json:"dns"`
	SNMP      labCounts `json:"snmp"`
	NTP       labCounts `json:"ntp"`
	Handshake labStats  `json:"tcp_handshake_syn_to_synack_us"`
	// DNSTruncated is dns.truncated_responses.
	DNSTruncated int
}

func readLabSummary(t *testing.T, dir, point string) labPoint {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatalf("lab summary: %v", err)
	}
	var s struct {
		PerPoint map[string]labPoint `json:"per_point"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var tr struct {
		PerPoint map[string]struct {
			DNS struct {
				Truncated int `json:"truncated_responses"`
			} `json:"dns"`
		} `json:"per_point"`
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	p := s.PerPoint[point]
	p.DNSTruncated = tr.PerPoint[point].DNS.Truncated
	return p
}

// wantDetail turns rtt_pairs.csv's detail into the Tracker's:
// DNS "www.lab.example 28 rcode=0" -> "AAAA www.lab.example NOERROR";
// SNMP "v1 pdu=0 reqid=N err=0" (tshark's snmp.version 1 = v2c, pdu 0 =
// get-request) -> "get-request v2c"; NTP "mode=3 stratum=8" -> "v? stratum 8"
// (only the stratum is compared).
func wantDetail(t *testing.T, p *labPair) string {
	t.Helper()
	f := strings.Fields(p.detail)
	switch p.protocol {
	case "dns":
		// The name may hold spaces ("lab.example MX" was sent as one name).
		n := len(f)
		ty, _ := strconv.Atoi(f[n-2])
		rc, _ := strconv.Atoi(strings.TrimPrefix(f[n-1], "rcode="))
		return string(appendDNSType(nil, layers.DNSType(ty))) + " " + strings.Join(f[:n-2], " ") + " " + rcodes[rc]
	case "snmp":
		pdus := map[string]string{"pdu=0": "get-request", "pdu=1": "get-next-request", "pdu=3": "set-request", "pdu=5": "get-bulk-request"}
		vers := map[string]string{"v0": "v1", "v1": "v2c"}
		s := pdus[f[1]] + " " + vers[f[0]]
		if e, _ := strconv.Atoi(strings.TrimPrefix(f[3], "err=")); e != 0 {
			s += " " + snmpErrors[e]
		}
		return s
	case "ntp":
		return "stratum " + strings.TrimPrefix(f[1], "stratum=")
	}
	return ""
}

// TestLabDNSSNMPNTP compares the Tracker with the lab ground truth at
// probes A (client side, pre-NAT) and B (server side, post-NAT): every
// pair of rtt_pairs.csv (tshark's dns.time, snmp.time, ntp.delta_time,
// two-pass) is found with the same request time and client/server, its
// transport as proto (DNS over TCP: tcp), RTT
// within 1 µs and the same detail; the only extra pairs are the
// responses_not_paired_by_tshark of summary.json (a response to a request
// that was retransmitted after it, see doc.go), each followed by a tshark
// pair of the same client port; request, response and unanswered counts
// equal summary.json's.
func TestLabDNSSNMPNTP(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "dns-snmp-ntp")
	for _, point := range []string{"A", "RC", "RS", "B"} {
		t.Run(point, func(t *testing.T) {
			pairs := readLabPairs(t, dir, point)
			sum := readLabSummary(t, dir, point)
			r := run(t, DefaultConfig(), readCapture(t, filepath.Join(dir, point+".pcap")))
			st := r.tr.Stats()
			for _, proto := range []struct {
				kind string
				k    Kind
				c    labCounts
			}{{"dns", KindDNS, sum.DNS}, {"snmp", KindSNMP, sum.SNMP}, {"ntp", KindNTP, sum.NTP}} {
				var want []labPair
				for _, p := range pairs {
					if p.protocol == proto.kind {
						want = append(want, p)
					}
				}
				have := r.byKind(proto.kind)
				if len(want) != proto.c.PairsTshark {
					t.Fatalf("%s: rtt_pairs.csv has %d pairs, summary %d", proto.kind, len(want), proto.c.PairsTshark)
				}
				used := make([]bool, len(have))
				truncated := 0
				for i := range want {
					w := &want[i]
					found := -1
					for j := range have {
						s := &have[j]
						if !used[j] && s.RequestTime == w.reqNs && s.ClientPort == w.cport && s.ServerPort == w.sport {
							found = j
							break
						}
					}
					if found < 0 {
						t.Errorf("%s: pair %+v not found", proto.kind, *w)
						continue
					}
					used[found] = true
					s := &have[found]
					if d := math.Abs(s.RTTMs*1e6 - float64(w.rttNs)); d > 1000 {
						t.Errorf("%s: pair at %d: rtt %.0f ns, tshark %d ns", proto.kind, w.reqNs, s.RTTMs*1e6, w.rttNs)
					}
					if s.Proto != w.transport { // rtt_pairs.csv's transport: tshark's udp or tcp layer
						t.Errorf("%s: pair at %d: proto %q, want %q", proto.kind, w.reqNs, s.Proto, w.transport)
					}
					if s.ClientAddr != w.client || s.ServerAddr != w.server {
						t.Errorf("%s: pair at %d: %s > %s, want %s > %s", proto.kind, w.reqNs, s.ClientAddr, s.ServerAddr, w.client, w.server)
					}
					wd := wantDetail(t, w)
					detail, tc := strings.CutSuffix(s.Detail, " TC")
					if tc {
						truncated++
					}
					if (proto.kind == "ntp" && !strings.HasSuffix(detail, wd)) || (proto.kind != "ntp" && detail != wd) {
						t.Errorf("%s: pair at %d: detail %q, want %q (csv %q)", proto.kind, w.reqNs, s.Detail, wd, w.detail)
					}
					if s.FlowID != r.flows[flowName(w, proto.kind)] {
						t.Errorf("%s: pair at %d: flow %d, want the request's flow %d", proto.kind, w.reqNs, s.FlowID, r.flows[flowName(w, proto.kind)])
					}
				}
				if proto.kind == "dns" && truncated != sum.DNSTruncated {
					t.Errorf("dns: %d responses with TC, summary truncated_responses %d", truncated, sum.DNSTruncated)
				}
				extra := 0
				for j := range have {
					if used[j] {
						continue
					}
					extra++
					s := &have[j]
					// The extra pair's request was retransmitted later and
					// tshark paired that copy instead.
					later := false
					for _, w := range want {
						if w.cport == s.ClientPort && w.client == s.ClientAddr && w.reqNs > s.RequestTime {
							later = true
						}
					}
					if !later {
						t.Errorf("%s: extra sample %+v has no later tshark pair of the same client port", proto.kind, *s)
					}
					t.Logf("%s: extra pair (documented, responses_not_paired_by_tshark): %s:%d req %d rtt %.6f ms %q",
						proto.kind, s.ClientAddr, s.ClientPort, s.RequestTime, s.RTTMs, s.Detail)
				}
				if extra != proto.c.NotPairedByTshark || len(have) != proto.c.PairsIndependent {
					t.Errorf("%s: %d samples (%d extra), summary pairs_independent %d, responses_not_paired_by_tshark %d",
						proto.kind, len(have), extra, proto.c.PairsIndependent, proto.c.NotPairedByTshark)
				}
				if got := r.unanswered[proto.kind]; got != proto.c.UnansweredTshark {
					t.Errorf("%s: %d unanswered, summary unanswered_tshark %d", proto.kind, got, proto.c.UnansweredTshark)
				}
				if st.Requests[proto.k] != uint64(proto.c.Requests) || st.Responses[proto.k] != uint64(proto.c.Responses) {
					t.Errorf("%s: %d requests %d responses, summary %d and %d", proto.kind,
						st.Requests[proto.k], st.Responses[proto.k], proto.c.Requests, proto.c.Responses)
				}
			}
			// DNS over TCP handshakes: summary tcp_handshake_syn_to_synack_us.
			hs := r.byKind("tcp_handshake")
			if len(hs) != sum.Handshake.N {
				t.Fatalf("tcp_handshake: %d samples, summary n %d", len(hs), sum.Handshake.N)
			}
			checkStats(t, "tcp_handshake", hs, sum.Handshake)
		})
	}
}

// flowName is the flowIDs key of a pair's request direction.
func flowName(p *labPair, kind string) string {
	proto := 17
	if p.transport == "tcp" {
		proto = 6
	}
	return strconv.Itoa(proto) + " " + p.client + ":" + strconv.Itoa(int(p.cport)) + ">" + p.server + ":" + strconv.Itoa(int(p.sport))
}

// checkStats compares min, max and mean of the samples' RTTs (µs) with a
// summary, within 1 µs.
func checkStats(t *testing.T, kind string, ss []observe.RTTSample, want labStats) {
	t.Helper()
	mn, mx, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range ss {
		us := s.RTTMs * 1000
		mn, mx, sum = math.Min(mn, us), math.Max(mx, us), sum+us
	}
	mean := sum / float64(len(ss))
	if math.Abs(mn-want.Min) > 1 || math.Abs(mx-want.Max) > 1 || math.Abs(mean-want.Mean) > 1 {
		t.Errorf("%s: min %.3f max %.3f mean %.3f µs, want %.3f %.3f %.3f", kind, mn, mx, mean, want.Min, want.Max, want.Mean)
	}
}
