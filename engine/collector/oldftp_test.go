package collector

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// ftpFrames are a probe's Hello and one PDU each of an ftp_sessions and an
// ftp_transfers record of session 4, of class class, in frames of wire
// version v; before ftp.ClassVersion a record has no class (its layout
// starts at the session ID), so class must be "" there.
func ftpFrames(v byte, class string) [][]byte {
	rec := func(e *pdu.Enc, write func(*pdu.Enc)) {
		var r pdu.Enc
		write(&r)
		if v < ftp.ClassVersion {
			r.B = r.B[1:] // the empty class's length byte: the older layout
		}
		e.B = append(e.B, r.B...)
	}
	return [][]byte{
		asVersion(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "old", Interfaces: []string{"eth0"}}).Append(e) }), v),
		asVersion(testFrame(pdu.TypeFTPSession, 2, func(e *pdu.Enc) {
			rec(e, func(e *pdu.Enc) {
				ftp.AppendSession(e, &observe.FTPSession{Class: class, SessionID: 4, ClientAddr: "192.0.2.1", ClientPort: 40000, ServerAddr: "192.0.2.21", ServerPort: 21, User: "anonymous", Transfers: 1})
			})
		}), v),
		asVersion(testFrame(pdu.TypeFTPTransfer, 3, func(e *pdu.Enc) {
			rec(e, func(e *pdu.Enc) {
				ftp.AppendTransfer(e, &observe.FTPTransfer{Class: class, SessionID: 4, Command: "RETR", FileName: "f", Bytes: 1000, Status: ftp.StatusComplete})
			})
		}), v),
	}
}

// TestOldVersionFTPClass: the FTP records of a probe of wire version 3 to
// 5 carry no class; the collector reads them with class "" and the
// session ID, file name and bytes as sent (reading a class first took the
// session ID's varint, 4, for the class's length: a garbage class, a
// shifted row or a decoding error). A version 6 probe's rows carry their
// class.
func TestOldVersionFTPClass(t *testing.T) {
	for _, v := range []byte{3, 4, 5, pdu.Version} {
		c, err := New(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		class := ""
		if v >= ftp.ClassVersion {
			class = "ftp"
		}
		for _, f := range ftpFrames(v, class) {
			if c.Handle(f) == nil {
				t.Fatalf("version %d frame refused", v)
			}
		}
		if st := c.Stats(); st.BadRecords != 0 || st.Records != 3 {
			t.Errorf("version %d: %d records, %d PDUs failed to decode, want 3 and 0", v, st.Records, st.BadRecords)
		}
		b := c.Finish()
		if len(b.FTPSessions) != 1 || len(b.FTPTransfers) != 1 {
			t.Fatalf("version %d: %d sessions, %d transfers, want 1 and 1", v, len(b.FTPSessions), len(b.FTPTransfers))
		}
		s, x := b.FTPSessions[0], b.FTPTransfers[0]
		if s.Class != class || s.SessionID != 4 || s.User != "anonymous" || s.Probe != "old" ||
			x.Class != class || x.SessionID != 4 || x.FileName != "f" || x.Bytes != 1000 || x.Probe != "old" {
			t.Errorf("version %d: session %+v\ntransfer %+v\nwant class %q, session_id 4", v, s, x, class)
		}
	}
}

// TestFTPClassInSavedState: FTP rows not drained yet are in the
// collector's saved state (savedState.Batch, gob by field name) with
// their class: restored into a new collector, they end with class ftp.
func TestFTPClassInSavedState(t *testing.T) {
	a, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ftpFrames(pdu.Version, "ftp") {
		a.Handle(f)
	}
	state, err := a.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.RestoreState(state); err != nil {
		t.Fatal(err)
	}
	r := b.Finish()
	if len(r.FTPSessions) != 1 || len(r.FTPTransfers) != 1 || r.FTPSessions[0].Class != "ftp" || r.FTPTransfers[0].Class != "ftp" {
		t.Errorf("restored: sessions %+v, transfers %+v, want one each of class ftp", r.FTPSessions, r.FTPTransfers)
	}
}
