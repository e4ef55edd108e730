package ftp

import (
	"net/netip"
	"testing"
)

func TestParse227(t *testing.T) {
	for _, c := range []struct {
		text string
		addr string
		port uint16
	}{
		{"Entering Passive Mode (199,233,217,249,221,90)", "199.233.217.249", 56666},
		{"198,51,100,20,156,65", "198.51.100.20", 40001}, // no parentheses (edge 02)
		{"Entering Passive Mode (198,51,100,20,156,66).", "198.51.100.20", 40002},
		{"Entering Passive Mode (203,0,113,5,156,67)", "203.0.113.5", 40003},
		{"=10,0,0,1,4,1", "10.0.0.1", 1025},
		{"Entering Passive Mode (1, 2, 3, 4, 5, 6)", "1.2.3.4", 1286},
		{"Mode 2 (10,0,0,1,4,1)", "10.0.0.1", 1025},         // a stray digit before the tuple
		{"(256,1,1,1,1,1) (10,0,0,1,0,21)", "10.0.0.1", 21}, // first tuple out of range
		{"Logout.", "", 0},
		{"Entering Passive Mode (10,0,0,1,0,0)", "", 0}, // port 0
		{"(10,0,0,1,4)", "", 0},
		{"(1000,0,0,1,4,1)", "", 0},
	} {
		a, p, ok := parse227([]byte(c.text))
		if c.addr == "" {
			if ok {
				t.Errorf("%q: got %v %d, want none", c.text, a, p)
			}
			continue
		}
		if !ok || a != netip.MustParseAddr(c.addr) || p != c.port {
			t.Errorf("%q: got %v %d %v, want %s %d", c.text, a, p, ok, c.addr, c.port)
		}
	}
}

func TestParse229(t *testing.T) {
	for _, c := range []struct {
		text string
		addr string
		port uint16
		ok   bool
	}{
		{"Entering Extended Passive Mode (|||57086|)", "", 57086, true},
		{"Extended Passive mode OK (|||63988|)", "", 63988, true},
		{"Entering Extended Passive Mode (!!!1025!)", "", 1025, true},
		{"(|1|10.0.0.1|1025|)", "10.0.0.1", 1025, true},
		{"(|||0|)", "", 0, false},
		{"(|||70000|)", "", 0, false},
		{"(|||1025)", "", 0, false},
		{"(|||1025|", "", 0, false},
		{"no parens", "", 0, false},
		{"(1111)", "", 0, false},
	} {
		a, p, ok := parse229([]byte(c.text))
		if ok != c.ok || p != c.port || (c.addr != "" && a != netip.MustParseAddr(c.addr)) || (c.addr == "" && a.IsValid()) {
			t.Errorf("%q: got %v %d %v", c.text, a, p, ok)
		}
	}
}

func TestParsePORTAndEPRT(t *testing.T) {
	for _, c := range []struct {
		eprt bool
		arg  string
		addr string
		port uint16
	}{
		{false, "141,142,220,235,131,46", "141.142.220.235", 33582},
		{false, "192,0,2,10,195,200", "192.0.2.10", 50120},
		{false, " 10,10,1,100,233,1", "10.10.1.100", 59649},
		{false, "10,10,1,100,233", "", 0},
		{false, "10,10,1,100,233,1,1", "10.10.1.100", 59649}, // trailing junk ignored
		{true, "|1|10.10.1.100|48589|", "10.10.1.100", 48589},
		{true, "|2|2001:470:1f11:81f:c999:d94:aa7c:2e3e|49189|", "2001:470:1f11:81f:c999:d94:aa7c:2e3e", 49189},
		{true, "!1!10.0.0.1!21!", "10.0.0.1", 21},
		{true, "|2|10.0.0.1|21|", "", 0}, // family mismatch
		{true, "|1|::1|21|", "", 0},
		{true, "|3|10.0.0.1|21|", "", 0},
		{true, "|1|10.0.0.1|0|", "", 0},
		{true, "|1|10.0.0.1|21", "", 0},
		{true, "|1|fe80::1%eth0|21|", "", 0},
		{true, "", "", 0},
	} {
		var a netip.Addr
		var p uint16
		var ok bool
		if c.eprt {
			a, p, ok = parseEPRT([]byte(c.arg))
		} else {
			a, p, ok = parsePORT([]byte(c.arg))
		}
		if c.addr == "" {
			if ok {
				t.Errorf("%q: got %v %d, want none", c.arg, a, p)
			}
			continue
		}
		if !ok || a != netip.MustParseAddr(c.addr) || p != c.port {
			t.Errorf("%q: got %v %d %v", c.arg, a, p, ok)
		}
	}
}

func TestParseCommand(t *testing.T) {
	for _, c := range []struct {
		line, name, arg string
		v               verb
		ok              bool
	}{
		{"USER anonymous", "USER", "anonymous", vUSER, true},
		{"retr a b.txt", "RETR", "a b.txt", vRETR, true},
		{"PASV", "PASV", "", vPASV, true},
		{"LIST ", "LIST", "", vLIST, true},
		{"\xff\xf4\xff\xf2ABOR", "ABOR", "", vABOR, true},
		{"XPWD", "XPWD", "", vPWD, true},
		{"CLNT FlashFXP 3.4.0.1145", "CLNT", "FlashFXP 3.4.0.1145", vOther, true},
		{"5,200", "", "", vOther, false},
		{"RETRIEVE x", "", "", vOther, false},
		{"AB", "", "", vOther, false},
		{"PASV\tx", "", "", vOther, false},
		{"", "", "", vOther, false},
	} {
		var name [4]byte
		v, n, arg, ok := parseCommand([]byte(c.line), &name)
		if ok != c.ok || v != c.v || (ok && (string(name[:n]) != c.name || string(arg) != c.arg)) {
			t.Errorf("%q: got %v %q %q %v", c.line, v, name[:n], arg, ok)
		}
	}
}

func TestParseReplyLine(t *testing.T) {
	for _, c := range []struct {
		line string
		code int
		sep  byte
		ok   bool
	}{
		{"220 ready", 220, ' ', true},
		{"230-Restricted site", 230, '-', true},
		{"221", 221, 0, true},
		{" 230 lines like this", 0, 0, false},
		{"2200 x", 0, 0, false},
		{"620 x", 0, 0, false},
		{"22", 0, 0, false},
		{"abc def", 0, 0, false},
	} {
		code, sep, _, ok := parseReplyLine([]byte(c.line))
		if code != c.code || sep != c.sep || ok != c.ok {
			t.Errorf("%q: got %d %q %v", c.line, code, sep, ok)
		}
	}
	for _, c := range []struct {
		line string
		end  bool
	}{
		{"226 0.042 seconds", true}, {"226", true}, {"226-File successfully", false},
		{"227 other code", false}, {" 226 indented", false}, {"2260 x", false},
	} {
		if got := endsReply([]byte(c.line), 226); got != c.end {
			t.Errorf("endsReply(%q) = %v", c.line, got)
		}
	}
}

// TestParseNoAlloc: command and reply parsing allocate nothing.
func TestParseNoAlloc(t *testing.T) {
	cmd := []byte("RETR file-1M.bin")
	rep := []byte("227 Entering Passive Mode (198,51,100,10,160,23).")
	port := []byte("10,10,1,100,233,1")
	n := testing.AllocsPerRun(100, func() {
		var name [4]byte
		parseCommand(cmd, &name)
		_, _, text, _ := parseReplyLine(rep)
		parse227(text)
		parse229(text)
		parsePORT(port)
	})
	if n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}
