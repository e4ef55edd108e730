package ftp

import (
	"bytes"
	"net/netip"
)

// stream reassembles one direction of a control connection by TCP
// sequence number and splits it into lines.
type stream struct {
	init  bool
	next  uint32 // next sequence number expected
	ackOK bool
	acked uint32 // highest acknowledgment the peer sent for these bytes
	line  []byte // partial line carried over segments
	over  bool   // the partial line exceeded maxLine
	ooo   []oooSeg
	slab  []byte // bytes of the ooo segments
}

// oooSeg is a segment received beyond a gap, held until the gap fills.
type oooSeg struct {
	seq, plen uint32
	off, n    int // captured bytes in slab
	t         int64
}

// Sequence-number comparisons modulo 2^32 (RFC 793 §3.3).
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }

// stream takes the payload of one segment: in order it is delivered (and
// the segments it unblocks after it), beyond a gap it is held, already
// seen it is dropped. plen is the payload length the headers announce; a
// capture cut by the snap length delivers what it has and skips the rest.
func (t *Tracker) stream(s *session, dir int, seq uint32, data []byte, plen uint32, now int64) {
	st := &s.dir[dir]
	if uint32(len(data)) > plen {
		data = data[:plen]
	}
	if seqLE(seq+plen, st.next) {
		t.stats.Retransmitted++
		return
	}
	if seqLT(seq, st.next) {
		t.stats.Retransmitted++
		off := st.next - seq
		if int(off) < len(data) {
			data = data[off:]
		} else {
			data = nil
		}
		plen -= off
		seq = st.next
	}
	if seq != st.next {
		t.hold(s, dir, seq, data, plen, now)
		return
	}
	t.deliver(s, dir, data, plen, now)
	t.drain(s, dir)
}

// deliver feeds in-order bytes to the line splitter.
func (t *Tracker) deliver(s *session, dir int, data []byte, plen uint32, now int64) {
	st := &s.dir[dir]
	st.next += plen
	t.feed(s, dir, data, now)
	if uint32(len(data)) < plen {
		t.hole(s, dir)
	}
}

// hold keeps a segment that arrived beyond a gap. When the buffer is full
// the gap is given up.
func (t *Tracker) hold(s *session, dir int, seq uint32, data []byte, plen uint32, now int64) {
	st := &s.dir[dir]
	for _, o := range st.ooo {
		if o.seq == seq && o.plen >= plen {
			t.stats.Retransmitted++
			return
		}
	}
	if len(st.ooo) >= oooSegs || len(st.slab)+len(data) > oooBytes {
		t.skipAll(s, dir)
		if s.encrypted {
			return
		}
		if seqLT(st.next, seq) {
			t.hole(s, dir)
			st.next = seq
		}
		t.stream(s, dir, seq, data, plen, now)
		return
	}
	if st.slab == nil {
		st.slab = make([]byte, 0, oooBytes)
	}
	off := len(st.slab)
	st.slab = append(st.slab, data...)
	st.ooo = append(st.ooo, oooSeg{seq: seq, plen: plen, off: off, n: len(data), t: now})
	t.stats.OutOfOrder++
	t.checkHole(s, dir)
}

// drain delivers the held segments that the stream has reached.
func (t *Tracker) drain(s *session, dir int) {
	st := &s.dir[dir]
	for progressed := true; progressed && len(st.ooo) > 0; {
		progressed = false
		for i := 0; i < len(st.ooo); i++ {
			o := st.ooo[i]
			if seqLT(st.next, o.seq) {
				continue
			}
			st.ooo = append(st.ooo[:i], st.ooo[i+1:]...)
			i--
			if seqLE(o.seq+o.plen, st.next) {
				continue
			}
			off := st.next - o.seq
			data := st.slab[o.off : o.off+o.n]
			if int(off) < len(data) {
				data = data[off:]
			} else {
				data = nil
			}
			t.deliver(s, dir, data, o.plen-off, o.t)
			progressed = true
		}
	}
	if len(st.ooo) == 0 {
		st.slab = st.slab[:0]
	}
}

// minHeld returns the lowest sequence number held beyond a gap.
func (st *stream) minHeld() uint32 {
	m := st.ooo[0].seq
	for _, o := range st.ooo[1:] {
		if seqLT(o.seq, m) {
			m = o.seq
		}
	}
	return m
}

// checkHole gives up a gap once the peer has acknowledged the bytes after
// it: the missing bytes reached the receiver but not the capture, and
// will not be sent again.
func (t *Tracker) checkHole(s *session, dir int) {
	st := &s.dir[dir]
	for len(st.ooo) > 0 && st.ackOK {
		m := st.minHeld()
		if seqLT(st.acked, m) || !seqLT(st.next, m) {
			return
		}
		t.hole(s, dir)
		st.next = m
		t.drain(s, dir)
	}
}

// skipAll gives up every gap and delivers all held segments.
func (t *Tracker) skipAll(s *session, dir int) {
	st := &s.dir[dir]
	for len(st.ooo) > 0 {
		if m := st.minHeld(); seqLT(st.next, m) {
			t.hole(s, dir)
			st.next = m
		}
		t.drain(s, dir)
	}
	st.slab = st.slab[:0]
}

// flushStreams delivers what both directions still hold (end of session).
func (t *Tracker) flushStreams(s *session) {
	t.skipAll(s, 1)
	t.skipAll(s, 0)
}

// hole records bytes that will never be seen: the partial line is dropped
// (a cut 227 or PORT line would give a wrong port) and the next byte is
// taken as the start of a line, since FTP peers write whole lines per
// segment. A multi-line reply in progress is abandoned.
func (t *Tracker) hole(s *session, dir int) {
	st := &s.dir[dir]
	st.line = st.line[:0]
	st.over = false
	if dir == 1 {
		s.multi = false
	}
	t.stats.Holes++
}

// feed splits in-order bytes into lines ended by LF (CR LF per RFC 959,
// a bare LF tolerated). A line within one segment is parsed in place.
func (t *Tracker) feed(s *session, dir int, data []byte, now int64) {
	st := &s.dir[dir]
	for len(data) > 0 && !s.encrypted {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			st.appendLine(data, t)
			return
		}
		var line []byte
		if len(st.line) == 0 && !st.over {
			line = data[:i]
			if len(line) > maxLine {
				line = line[:maxLine]
				t.stats.LongLines++
			}
		} else {
			st.appendLine(data[:i], t)
			line = st.line
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if dir == 0 {
			t.command(s, line, now)
		} else {
			t.replyLine(s, line, now)
		}
		st.line = st.line[:0]
		st.over = false
		data = data[i+1:]
	}
}

func (st *stream) appendLine(b []byte, t *Tracker) {
	if room := maxLine - len(st.line); len(b) > room {
		b = b[:room]
		if !st.over {
			st.over = true
			t.stats.LongLines++
		}
	}
	if st.line == nil {
		st.line = make([]byte, 0, 256)
	}
	st.line = append(st.line, b...)
}

// command handles one command line (RFC 959 §4.1).
func (t *Tracker) command(s *session, line []byte, now int64) {
	var name [4]byte
	v, n, arg, ok := parseCommand(line, &name)
	if !ok {
		t.stats.BadLines++
		return
	}
	s.commands++
	t.stats.Commands++
	if t.trace != nil {
		a := string(arg)
		if v == vPASS {
			a = ""
		}
		t.trace(traceEvent{Session: s.id, Verb: string(name[:n]), Arg: a, TimeNs: now})
	}
	p := pending{v: v}
	switch v {
	case vUSER:
		if len(arg) > maxUser {
			arg = arg[:maxUser]
		}
		if string(arg) != s.user {
			s.user = string(arg)
		}
	case vPASS:
		// The password is never kept.
	case vPORT, vEPRT:
		var a netip.Addr
		var port uint16
		if v == vPORT {
			a, port, ok = parsePORT(arg)
		} else {
			a, port, ok = parseEPRT(arg)
		}
		if !ok {
			t.stats.BadAnnouncement++
			break
		}
		p.ch = t.announce(s, true, v.String(), a, port, now)
	default:
		if isX, dir := v.transfer(); isX {
			p.x = t.newTransfer(s, v, dir, arg, now)
		}
	}
	t.push(s, p)
}

// newTransfer records a transfer command and binds it to the latest
// announced channel not yet used: RFC 959 §3.2 opens one data connection
// per transfer after the last PASV/PORT. Older unused channels without a
// connection are dropped (a second PASV replaces the first).
func (t *Tracker) newTransfer(s *session, v verb, dir uint8, arg []byte, now int64) *transfer {
	x := &transfer{v: v, dir: dir, arg: string(arg), cmdNs: now, cmdClk: t.clk}
	s.transfers++
	for i := len(s.chans) - 1; i >= 0; i-- {
		if ch := s.chans[i]; ch.xfer == nil {
			ch.xfer, x.ch = x, ch
			break
		}
	}
	if x.ch == nil {
		x.ch = t.reuseListener(s, x)
	} else {
		for i := 0; i < len(s.chans); {
			if ch := s.chans[i]; ch != x.ch && ch.xfer == nil && ch.conn == nil && ch.created <= x.ch.created {
				t.stats.ExpectExpired++
				t.releaseChannel(ch)
				continue
			}
			i++
		}
	}
	if len(s.xfers) >= maxXfers {
		old := s.xfers[0]
		copy(s.xfers, s.xfers[1:])
		s.xfers = s.xfers[:len(s.xfers)-1]
		if old.ch != nil {
			t.releaseChannel(old.ch)
		}
		t.stats.TransfersLost++
	}
	s.xfers = append(s.xfers, x)
	return x
}

func (t *Tracker) push(s *session, p pending) {
	if s.pendN == maxPending {
		s.pend[s.pendHead] = pending{}
		s.pendHead = (s.pendHead + 1) % maxPending
		s.pendN--
	}
	s.pend[(s.pendHead+s.pendN)%maxPending] = p
	s.pendN++
}

// fits reports whether a final reply code is one RFC 959 §5.4 lists for
// the command; specific is false when any code would do (4xx/5xx, or a
// command without a known set).
func fits(v verb, code int) (ok, specific bool) {
	if code >= 400 {
		return true, false
	}
	switch v {
	case vRETR, vSTOR, vSTOU, vAPPE, vLIST, vNLST, vMLSD:
		return code == 226 || code == 250, true
	case vPASV:
		return code == 227, true
	case vEPSV:
		return code == 229, true
	case vPORT, vEPRT, vTYPE, vSTRU, vMODE:
		return code == 200, true
	case vCWD, vCDUP:
		return code == 250 || code == 200, true
	case vUSER:
		return code == 230 || code == 331 || code == 332, true
	case vPASS:
		return code == 230 || code == 202 || code == 332, true
	case vQUIT:
		return code == 221, true
	case vPWD:
		return code == 257, true
	case vSIZE, vMDTM:
		return code == 213, true
	case vREST:
		return code == 350, true
	case vABOR:
		return code == 225 || code == 226, true
	case vAUTH:
		return code == 234 || code == 334 || code == 200, true // 200: VxWorks
	}
	return true, false
}

// pop pairs a final reply with the oldest waiting command. When the code
// cannot answer it but answers a later waiting command specifically (the
// replies of the earlier ones were lost in a capture gap), the earlier
// ones are dropped: their transfers stay without a final reply. A
// transfer in progress (its 1xx seen) is not dropped: the client may send
// keep-alive commands on the control connection during a long transfer
// (NOOP, PWD, STAT, TYPE: FluentFTP's NoopInterval, Cyberduck,
// basic-ftp#16) and the server may answer them before the transfer's 226;
// a reply the transfer cannot take (RFC 959 §5.4: 226, 250, 4xx, 5xx)
// answers the first later command it fits, which alone leaves the queue.
func (t *Tracker) pop(s *session, code int) (pending, bool) {
	if s.pendN == 0 {
		return pending{}, false
	}
	take := 0
	if ok, _ := fits(s.pend[s.pendHead].v, code); !ok {
		if x := s.pend[s.pendHead].x; x != nil && x.prelim != 0 {
			if i := laterFit(s, code); i > 0 {
				return s.removePending(i), true
			}
		}
		for i := 1; i < s.pendN; i++ {
			if ok, spec := fits(s.pend[(s.pendHead+i)%maxPending].v, code); ok && spec {
				take = i
				break
			}
		}
	}
	var p pending
	for i := 0; i <= take; i++ {
		p = s.pend[s.pendHead]
		s.pend[s.pendHead] = pending{}
		s.pendHead = (s.pendHead + 1) % maxPending
		s.pendN--
	}
	return p, true
}

// laterFit returns the index in the queue of the first command after the
// oldest that code answers, specifically if one does, else the first one
// code may answer; 0 when none.
func laterFit(s *session, code int) int {
	first := 0
	for i := 1; i < s.pendN; i++ {
		ok, spec := fits(s.pend[(s.pendHead+i)%maxPending].v, code)
		if ok && spec {
			return i
		}
		if ok && first == 0 {
			first = i
		}
	}
	return first
}

// removePending takes the i-th waiting command out of the queue, keeping
// the order of the others.
func (s *session) removePending(i int) pending {
	at := func(k int) *pending { return &s.pend[(s.pendHead+k)%maxPending] }
	p := *at(i)
	for k := i; k < s.pendN-1; k++ {
		*at(k) = *at(k + 1)
	}
	*at(s.pendN - 1) = pending{}
	s.pendN--
	return p
}

// replyLine handles one line from the server: a single-line reply, or a
// line of a multi-line reply, which ends at the line that starts with the
// same code and a space (RFC 959 §4.2).
func (t *Tracker) replyLine(s *session, line []byte, now int64) {
	if s.multi {
		s.lines++
		if endsReply(line, s.code) {
			s.multi = false
			if len(line) > 4 {
				t.scanAnnouncement(s, line[4:])
			}
			t.reply(s, now)
			return
		}
		t.scanAnnouncement(s, line)
		return
	}
	code, sep, text, ok := parseReplyLine(line)
	if !ok {
		t.stats.BadLines++
		return
	}
	s.code, s.lines, s.annOK = code, 1, false
	t.scanAnnouncement(s, text)
	if sep == '-' {
		s.multi = true
		return
	}
	t.reply(s, now)
}

// scanAnnouncement looks for the data address of a 227 or 229 reply in
// one of its lines.
func (t *Tracker) scanAnnouncement(s *session, text []byte) {
	if s.annOK {
		return
	}
	switch s.code {
	case 227:
		s.annAddr, s.annPort, s.annOK = parse227(text)
	case 229:
		s.annAddr, s.annPort, s.annOK = parse229(text)
	}
}

// reply handles one complete reply.
func (t *Tracker) reply(s *session, now int64) {
	code := s.code
	t.stats.Replies++
	if t.trace != nil {
		t.trace(traceEvent{Session: s.id, Reply: true, Code: code, Lines: s.lines, TimeNs: now})
	}
	s.lastReply = uint16(code)
	if code < 200 { // preliminary: belongs to the oldest waiting transfer
		if code == 120 && !s.sawStart {
			return
		}
		for i := 0; i < s.pendN; i++ {
			if x := s.pend[(s.pendHead+i)%maxPending].x; x != nil {
				x.prelim = code
				break
			}
		}
		return
	}
	if code == 220 && !s.sawStart && (s.pendN == 0 || s.pend[s.pendHead].v != vREIN) {
		s.sawStart = true // the greeting answers no command
		return
	}
	p, ok := t.pop(s, code)
	if !ok {
		t.stats.UnpairedReplies++
	}
	switch code {
	case 227:
		if s.annOK {
			t.announce(s, false, "PASV", s.annAddr, s.annPort, now)
		} else if p.v == vPASV {
			t.stats.BadAnnouncement++
		}
	case 229:
		if s.annOK {
			t.announce(s, false, "EPSV", s.annAddr, s.annPort, now)
		} else if p.v == vEPSV {
			t.stats.BadAnnouncement++
		}
	case 230:
		s.loggedIn = true
	case 234, 200:
		// RFC 4217 §4: after 234 to AUTH the control connection turns to
		// TLS; VxWorks' FTP server, in many embedded devices, accepts
		// AUTH TLS with "200 AUTH command ok; starting SSL connection"
		// (node-ftp#166, suppaftp#43).
		if p.v == vAUTH {
			s.encrypted = true
			t.stats.Encrypted++
			s.dir[0].line, s.dir[1].line = s.dir[0].line[:0], s.dir[1].line[:0]
		}
	}
	if p.x != nil {
		p.x.replied, p.x.reply, p.x.replyNs, p.x.replyClk = true, code, now, t.clk
	}
	if p.ch != nil && code >= 400 && p.ch.xfer == nil && p.ch.conn == nil {
		t.releaseChannel(p.ch) // PORT / EPRT refused
	}
}
