package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestNewVersionWarns: a new version of a watched file gets the warnings a
// file loaded at start gets (config.Warnings), as config_warning events
// said on stderr; a trial's running live took a version whose classes
// dropped the tcp and ftp analyses without a word, although the README
// says every load of such a file warns.
func TestNewVersionWarns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("interval_s: 1\n"), 0o644)
	s := &switcher{path: path, current: config.Default().Hash()}
	os.WriteFile(path, []byte("classes:\n  - {name: web, filter: \"tcp\", granularity: [src_addr, dst_addr], analyses: [counters]}\n"), 0o644)
	s.reload(true)
	var said strings.Builder
	kinds := map[string]int{}
	for _, e := range s.drainEvents() {
		kinds[e.Kind]++
		e.say(&said, "live")
	}
	if kinds["config_accepted"] != 1 || kinds["config_warning"] != 1 {
		t.Fatalf("events %v, want one config_accepted and one config_warning", kinds)
	}
	if !strings.HasPrefix(said.String(), "tmonbench live: warning: configuration ") || !strings.Contains(said.String(), "no class runs the tcp, rtt, ftp analyses the default configuration runs") {
		t.Errorf("stderr %q", said.String())
	}
}

// TestBadFileLookedAtTwice: a file found empty or invalid is rejected only
// when a second look still finds it so (loop: after confirmBad); a writer
// that truncated the file and stalled before writing it (a loaded
// machine: os.WriteFile truncates, then writes) gave a config_rejected
// for a version that was never bad.
func TestBadFileLookedAtTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, nil, 0o644) // truncated, not yet written
	s := &switcher{path: path, current: config.Default().Hash()}
	if !s.reload(false) {
		t.Fatal("an empty file is not bad")
	}
	if ev := s.drainEvents(); len(ev) != 0 {
		t.Fatalf("the first look reported %+v", ev)
	}
	os.WriteFile(path, []byte("interval_s: 20\n"), 0o644) // the write comes
	if s.reload(true) {
		t.Fatal("the written file is bad")
	}
	if ev := s.drainEvents(); len(ev) != 1 || ev[0].Kind != "config_accepted" {
		t.Fatalf("events %+v, want one config_accepted", ev)
	}
	os.WriteFile(path, []byte("interval_s: [\n"), 0o644) // still bad at the second look
	s.reload(false)
	if !s.reload(true) {
		t.Fatal("an invalid file is not bad")
	}
	if ev := s.drainEvents(); len(ev) != 1 || ev[0].Kind != "config_rejected" {
		t.Fatalf("events %+v, want one config_rejected", ev)
	}
}
