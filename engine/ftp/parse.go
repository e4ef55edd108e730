package ftp

import (
	"net/netip"
)

// verb is a recognised FTP command (RFC 959 §4.1, RFC 2428, RFC 3659,
// RFC 4217). vOther is any other well-formed verb.
type verb uint8

const (
	vOther verb = iota
	vUSER
	vPASS
	vACCT
	vCWD
	vCDUP
	vREIN
	vQUIT
	vPORT
	vPASV
	vEPRT
	vEPSV
	vTYPE
	vSTRU
	vMODE
	vRETR
	vSTOR
	vSTOU
	vAPPE
	vLIST
	vNLST
	vMLSD
	vREST
	vABOR
	vAUTH
	vSIZE
	vMDTM
	vPWD
	numVerbs
)

// verbNames are the canonical (upper-case) names, indexed by verb; the
// transfer rows take their Command from here, so it never allocates.
var verbNames = [numVerbs]string{
	vOther: "", vUSER: "USER", vPASS: "PASS", vACCT: "ACCT", vCWD: "CWD", vCDUP: "CDUP",
	vREIN: "REIN", vQUIT: "QUIT", vPORT: "PORT", vPASV: "PASV", vEPRT: "EPRT", vEPSV: "EPSV",
	vTYPE: "TYPE", vSTRU: "STRU", vMODE: "MODE", vRETR: "RETR", vSTOR: "STOR", vSTOU: "STOU",
	vAPPE: "APPE", vLIST: "LIST", vNLST: "NLST", vMLSD: "MLSD", vREST: "REST", vABOR: "ABOR",
	vAUTH: "AUTH", vSIZE: "SIZE", vMDTM: "MDTM", vPWD: "PWD",
}

// String returns the canonical command name ("" for vOther).
func (v verb) String() string {
	if v < numVerbs {
		return verbNames[v]
	}
	return ""
}

// transferVerb reports whether v opens a data transfer (RFC 959 §4.1.3,
// RFC 3659 §7 for MLSD), and its direction.
func (v verb) transfer() (ok bool, dir uint8) {
	switch v {
	case vRETR, vLIST, vNLST, vMLSD:
		return true, dirDown
	case vSTOR, vSTOU, vAPPE:
		return true, dirUp
	}
	return false, 0
}

// Transfer directions.
const (
	dirDown uint8 = iota // server to client
	dirUp                // client to server
)

// lookupVerb maps an upper-case verb to its code without allocating.
func lookupVerb(up []byte) verb {
	switch string(up) {
	case "USER":
		return vUSER
	case "PASS":
		return vPASS
	case "ACCT":
		return vACCT
	case "CWD", "XCWD":
		return vCWD
	case "CDUP", "XCUP":
		return vCDUP
	case "REIN":
		return vREIN
	case "QUIT":
		return vQUIT
	case "PORT":
		return vPORT
	case "PASV":
		return vPASV
	case "EPRT":
		return vEPRT
	case "EPSV":
		return vEPSV
	case "TYPE":
		return vTYPE
	case "STRU":
		return vSTRU
	case "MODE":
		return vMODE
	case "RETR":
		return vRETR
	case "STOR":
		return vSTOR
	case "STOU":
		return vSTOU
	case "APPE":
		return vAPPE
	case "LIST":
		return vLIST
	case "NLST":
		return vNLST
	case "MLSD":
		return vMLSD
	case "REST":
		return vREST
	case "ABOR":
		return vABOR
	case "AUTH":
		return vAUTH
	case "SIZE":
		return vSIZE
	case "MDTM":
		return vMDTM
	case "PWD", "XPWD":
		return vPWD
	}
	return vOther
}

// parseCommand splits one command line (line terminator removed) into its
// verb and argument (RFC 959 §4.1, §5.3.1: a 3- or 4-letter verb, case
// insensitive, then <SP> and the argument). Leading Telnet IAC sequences
// and control bytes (clients send IAC IP IAC DM before ABOR, RFC 959
// §4.1.3) are skipped. name is the verb in upper case (valid until the next
// call), arg borrows line. ok is false when the line is not a command.
func parseCommand(line []byte, name *[4]byte) (v verb, n int, arg []byte, ok bool) {
	i := 0
	for i < len(line) && (line[i] <= ' ' || line[i] >= 0x7f) {
		i++
	}
	line = line[i:]
	for n < len(line) && n < 5 && letter(line[n]) {
		n++
	}
	if n < 3 || n > 4 || (n < len(line) && line[n] != ' ') {
		return vOther, 0, nil, false
	}
	for j := 0; j < n; j++ {
		name[j] = line[j] &^ 0x20
	}
	if n < len(line) {
		arg = line[n+1:]
	}
	return lookupVerb(name[:n]), n, arg, true
}

func letter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func digit(c byte) bool { return c >= '0' && c <= '9' }

// parseReplyLine classifies one reply line (RFC 959 §4.2): a three-digit
// code whose first digit is 1 to 5, then <SP> (a single-line reply or the
// last line of a multi-line one), "-" (the first line of a multi-line
// reply) or nothing. sep is ' ', '-' or 0; text borrows line.
func parseReplyLine(line []byte) (code int, sep byte, text []byte, ok bool) {
	if len(line) < 3 || line[0] < '1' || line[0] > '5' || !digit(line[1]) || !digit(line[2]) {
		return 0, 0, nil, false
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) == 3 {
		return code, 0, nil, true
	}
	switch line[3] {
	case ' ', '-':
		return code, line[3], line[4:], true
	}
	return 0, 0, nil, false
}

// endsReply reports whether line is the last line of the multi-line reply
// with this code: the same three digits followed by <SP> or the end of the
// line (RFC 959 §4.2). Lines that merely start with digits, or with the
// code followed by "-", are intermediate lines.
func endsReply(line []byte, code int) bool {
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ') {
		return false
	}
	return int(line[0]-'0') == code/100 && int(line[1]-'0') == code/10%10 && int(line[2]-'0') == code%10
}

// readUint reads up to max decimal digits at b[i:], returning the value,
// the index after them and whether at least one digit was read.
func readUint(b []byte, i, maxDigits int) (v, next int, ok bool) {
	j := i
	for j < len(b) && j-i < maxDigits && digit(b[j]) {
		v = v*10 + int(b[j]-'0')
		j++
	}
	if j < len(b) && digit(b[j]) { // too many digits
		return 0, i, false
	}
	return v, j, j > i
}

// hostPort parses "h1,h2,h3,h4,p1,p2" at b[i:] (each 0..255; spaces
// allowed after the commas), as in PORT arguments and 227 replies
// (RFC 959 §4.1.2, §4.2.2).
func hostPort(b []byte, i int) (netip.Addr, uint16, bool) {
	var n [6]int
	for k := 0; k < 6; k++ {
		if k > 0 {
			if i >= len(b) || b[i] != ',' {
				return netip.Addr{}, 0, false
			}
			i++
			for i < len(b) && b[i] == ' ' {
				i++
			}
		}
		v, j, ok := readUint(b, i, 3)
		if !ok || v > 255 {
			return netip.Addr{}, 0, false
		}
		n[k], i = v, j
	}
	port := uint16(n[4]<<8 | n[5])
	if port == 0 {
		return netip.Addr{}, 0, false
	}
	return netip.AddrFrom4([4]byte{byte(n[0]), byte(n[1]), byte(n[2]), byte(n[3])}), port, true
}

// parse227 finds the host and port of a 227 reply's text. The text format
// is not standardised (RFC 1123 §4.1.2.6: "scan the reply for the first
// digit of the host and port numbers"): with or without parentheses,
// trailing text or a period, anywhere in the line. "227 Logout." has no
// numbers and is no announcement.
func parse227(text []byte) (netip.Addr, uint16, bool) {
	for i := 0; i < len(text); i++ {
		if !digit(text[i]) || (i > 0 && digit(text[i-1])) {
			continue
		}
		if a, p, ok := hostPort(text, i); ok {
			return a, p, true
		}
	}
	return netip.Addr{}, 0, false
}

// parsePORT parses a PORT argument "h1,h2,h3,h4,p1,p2" (RFC 959 §4.1.2).
func parsePORT(arg []byte) (netip.Addr, uint16, bool) {
	i := 0
	for i < len(arg) && arg[i] == ' ' {
		i++
	}
	return hostPort(arg, i)
}

// fields splits b, which must start with the delimiter d, into the n
// fields that follow, each ended by d (RFC 2428 §2, §3). It returns the
// index after the last delimiter.
func fields(b []byte, n int, out *[3][]byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	d := b[0]
	if d < 33 || d > 126 || digit(d) {
		return 0, false
	}
	i := 1
	for k := 0; k < n; k++ {
		j := i
		for j < len(b) && b[j] != d {
			j++
		}
		if j >= len(b) {
			return 0, false
		}
		out[k] = b[i:j]
		i = j + 1
	}
	return i, true
}

// parseAddrBytes parses an IPv4 or IPv6 literal. It allocates only for
// the string conversion of the (short) literal.
func parseAddrBytes(b []byte) (netip.Addr, bool) {
	if len(b) == 0 || len(b) > 45 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func parsePort(b []byte) (uint16, bool) {
	v, j, ok := readUint(b, 0, 5)
	if !ok || j != len(b) || v == 0 || v > 65535 {
		return 0, false
	}
	return uint16(v), true
}

// parseEPRT parses an EPRT argument "<d><af><d><addr><d><port><d>"
// (RFC 2428 §2): af 1 is IPv4, 2 is IPv6, and must match the address.
func parseEPRT(arg []byte) (netip.Addr, uint16, bool) {
	var f [3][]byte
	if _, ok := fields(arg, 3, &f); !ok {
		return netip.Addr{}, 0, false
	}
	a, ok := parseAddrBytes(f[1])
	if !ok {
		return netip.Addr{}, 0, false
	}
	switch string(f[0]) {
	case "1":
		if !a.Is4() {
			return netip.Addr{}, 0, false
		}
	case "2":
		if !a.Is6() {
			return netip.Addr{}, 0, false
		}
	default:
		return netip.Addr{}, 0, false
	}
	p, ok := parsePort(f[2])
	if !ok {
		return netip.Addr{}, 0, false
	}
	return a, p, true
}

// parse229 parses the port of a 229 reply, "(<d><d><d><port><d>)"
// (RFC 2428 §3): the address is the control connection's server address.
// A non-empty network address field, which RFC 2428 leaves empty, is
// returned when it parses (addr invalid otherwise).
func parse229(text []byte) (addr netip.Addr, port uint16, ok bool) {
	for i := 0; i < len(text); i++ {
		if text[i] != '(' {
			continue
		}
		var f [3][]byte
		n, good := fields(text[i+1:], 3, &f)
		if !good || i+1+n >= len(text) || text[i+1+n] != ')' {
			continue
		}
		p, good := parsePort(f[2])
		if !good {
			continue
		}
		if len(f[1]) > 0 {
			addr, _ = parseAddrBytes(f[1])
		}
		return addr, p, true
	}
	return netip.Addr{}, 0, false
}
