package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pipeline"
)

// wikiPackets is the number of packets of samples/zeek_wikipedia.pcap:
// `tcpdump -r samples/zeek_wikipedia.pcap | wc -l` gives 136.
const wikiPackets = 136

// feed copies the file at path into w in a goroutine, then closes w; the
// returned channel gives the copy's error.
func feed(t *testing.T, path string, w func() (io.WriteCloser, error)) chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		out, err := w()
		if err != nil {
			done <- err
			return
		}
		in, err := os.Open(path)
		if err == nil {
			_, err = io.Copy(out, in)
			in.Close()
		}
		out.Close()
		done <- err
	}()
	return done
}

// TestReplayFromPipe: a capture named by a FIFO or by /dev/fd/N of a pipe
// (bash's <(cat f), /dev/stdin) is opened once and read whole, as "-" is:
// the interface scan opened it first and consumed the pipe, and the replay
// then said "empty input: not a pcap or pcapng file" (exit 1). The count
// is tcpdump's (wikiPackets). A warning says what a stream cannot give.
func TestReplayFromPipe(t *testing.T) {
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	want := fmt.Sprintf("  packets read    %12d", wikiPackets)
	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "ff")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		done := feed(t, wiki, func() (io.WriteCloser, error) { return os.OpenFile(fifo, os.O_WRONLY, 0) })
		type result struct {
			code           int
			stdout, stderr string
		}
		ran := make(chan result, 1)
		out := filepath.Join(t.TempDir(), "o")
		go func() {
			code, stdout, stderr := tmon(t, "replay", "--out", out, fifo)
			ran <- result{code, stdout, stderr}
		}()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		var res result
		select {
		case res = <-ran:
		case <-time.After(time.Minute): // a second open of the FIFO waits for a writer: give it one that writes nothing
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			res = <-ran
		}
		code, stdout, stderr := res.code, res.stdout, res.stderr
		if code != 0 || !strings.Contains(stdout, want) || !strings.Contains(stderr, fifo+" is not a regular file (a pipe?): read once as a stream") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		done := feed(t, wiki, func() (io.WriteCloser, error) { return w, nil })
		code, stdout, stderr := tmon(t, "replay", "--out", filepath.Join(t.TempDir(), "o"), fmt.Sprintf("/dev/fd/%d", r.Fd()))
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if code != 0 || !strings.Contains(stdout, want) {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
}

// TestScanIfacesLeavesPipe: probe --pcap /dev/stdin names a capture's
// interfaces (scanIfaces) before it opens the capture: on a pipe the scan
// read it all and the probe found it empty. A stream is not scanned (one
// interface, as "-"), and the capture is then read whole.
func TestScanIfacesLeavesPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := feed(t, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap"), func() (io.WriteCloser, error) { return w, nil })
	c := pipeline.Capture{Path: fmt.Sprintf("/dev/fd/%d", r.Fd())}
	if err := scanIfaces(&c); err != nil || c.Ifaces != nil {
		t.Fatalf("scan of a pipe: %v %q", err, c.Ifaces)
	}
	f, err := openFile(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for {
		if _, _, err := f.Next(); err != nil {
			break
		}
		n++
	}
	if err := <-done; err != nil || n != wikiPackets {
		t.Fatalf("%v: %d packets read from the pipe, tcpdump reads %d", err, n, wikiPackets)
	}
}

// TestBenchRefusesPipe: bench reads each capture several times (the floor,
// warm-up, repeats): a pipe is refused before it is opened (exit 2, its
// reason said), not read once then found empty.
func TestBenchRefusesPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "ff")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code   int
		stderr string
	}
	ran := make(chan result, 1)
	go func() {
		code, _, stderr := tmon(t, "bench", fifo)
		ran <- result{code, stderr}
	}()
	var res result
	select {
	case res = <-ran:
	case <-time.After(time.Minute): // an open of the FIFO waits for a writer: give it one that writes nothing
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		res = <-ran
	}
	code, stderr := res.code, res.stderr
	if code != 2 || !strings.Contains(stderr, "bench reads each capture several times") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
