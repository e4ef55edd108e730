package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// switcher watches the config file of a live run (design 1.6): a new
// version is loaded and validated as soon as the file changes; an invalid
// one becomes a config_rejected event and the running version goes on; a
// valid one takes effect at its valid_from time (at once without one), in
// the probe and the collector together: the source ends the current run at
// the first packet (or idle wake-up) at or after that time, and the next
// run starts with the new version from that packet on.
type switcher struct {
	path    string
	chain   []string        // path and the names its symlinks lead to, the file last (resolve)
	dirs    map[string]bool // the folders watched: those of chain
	w       *fsnotify.Watcher
	mu      sync.Mutex
	pending *config.Config // accepted, waiting for its time
	current string         // identity of the running version (versionOf: its hash and probe keys)
	events  []pendingEvent // to report as the probe's events
	done    chan struct{}
	check   func(*config.Config) error // what the command needs of a version, beyond acceptConfig's checks
}

// pendingEvent is an event of the watcher, reported by the command at its
// next health check (its fields are named as refgen looks for them).
type pendingEvent struct {
	Severity      uint8
	Kind, Message string
}

// watchConfig starts watching path (its folder: editors replace files;
// with a symlink, the folder of every link of its chain and of the file);
// running is the version in effect; check, when set, refuses versions the
// command cannot run with (after acceptConfig's checks, as at start), and applies
// to each the command line's overrides (--interval) before its hash is
// compared with the running one's.
func watchConfig(path string, running *config.Config, check func(*config.Config) error) (*switcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch %s: %w", path, err)
	}
	s := &switcher{path: path, w: w, done: make(chan struct{}), current: versionOf(running), check: check, dirs: map[string]bool{filepath.Dir(path): true}}
	s.resolve()
	go s.loop()
	return s, nil
}

// settleAfterEdit is how long the watcher waits after the last event on
// the file before reading it (editors write in several steps).
const settleAfterEdit = 100 * time.Millisecond

// confirmBad is how long a file found empty or invalid is left before it
// is read again and, still so, rejected: a writer that truncates and then
// stalls (a loaded machine) is not taken for a bad version.
const confirmBad = time.Second

func (s *switcher) loop() {
	defer close(s.done)
	// One look at the file once the watch is up: a version written between
	// the load at start and the watch's Add raised no event (a collector's
	// key change lost so until the next edit); the running version again
	// is no event (reload). It waits as after an edit, and an edit in the
	// meantime delays it the same way (a file being written is not read
	// half-way).
	settle := time.After(settleAfterEdit)
	confirm := false // the last look found the file bad: the next one reports it
	for {
		select {
		case ev, ok := <-s.w.Events:
			if !ok {
				return
			}
			if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) == 0 {
				break
			}
			if slices.Contains(s.chain, filepath.Clean(ev.Name)) {
				s.resolve()                          // a link replaced: maybe a new chain
				settle = time.After(settleAfterEdit) // let the writer finish
			}
		case <-settle:
			settle = nil
			if bad := s.reload(confirm); bad && !confirm {
				confirm, settle = true, time.After(confirmBad)
			} else {
				confirm = false
			}
		case _, ok := <-s.w.Errors:
			if !ok {
				return
			}
		}
	}
}

// reload loads and validates the file now and reports whether it is
// empty or invalid; such a file is a config_rejected event only when
// report is set (the second look, loop).
func (s *switcher) reload(report bool) (bad bool) {
	s.resolve() // a link replaced between the event and now
	// as at start (loadChecked): an empty or blank file too (config.Parse)
	cfg, err := acceptConfig(s.path, s.check)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !report {
			return true
		}
		what, msg := "new version of "+s.path, userMessage("config", err)
		if strings.Contains(msg, s.path) { // config.Load names the file (and the line), as a class filter's error
			what = "new version"
		}
		s.events = append(s.events, pendingEvent{Severity: pdu.SevError, Kind: "config_rejected", Message: fmt.Sprintf("%s rejected: %s: the running configuration goes on", what, msg)})
		return true
	}
	if v := versionOf(cfg); s.pending != nil && v == versionOf(s.pending) {
		return false // the same version again (editors write in several steps)
	} else if v == s.current {
		s.supersede(cfg.Hash() + " (the running one)") // the running one back, if another was pending
		return false
	}
	s.supersede(cfg.Hash())
	when := "at once"
	if ns, ok := cfg.ValidFromNs(); ok {
		when = "at " + time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
	}
	s.pending = cfg
	s.events = append(s.events, pendingEvent{Severity: pdu.SevInfo, Kind: "config_accepted", Message: fmt.Sprintf("configuration %s validated%s: takes effect %s", cfg.Hash(), keysOnly(cfg, s.current), when)})
	for _, w := range cfg.Warnings() { // as a file loaded at start warns (loadConfig)
		s.events = append(s.events, pendingEvent{Severity: pdu.SevWarning, Kind: "config_warning", Message: fmt.Sprintf("configuration %s: %s", cfg.Hash(), w)})
	}
	return false
}

// refuse reports a version that was accepted but could not start (a
// config_rejected event with msg): running, the version that goes on, is
// the running one again.
func (s *switcher) refuse(running *config.Config, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = versionOf(running)
	s.events = append(s.events, pendingEvent{Severity: pdu.SevError, Kind: "config_rejected", Message: msg})
}

// say prints on stderr, as one line, what a watcher event tells the
// operator: a rejected version (a warning: the running one goes on), a
// warning about an accepted one (classes that leave analyses out...).
// The others are only events.
func (e pendingEvent) say(stderr io.Writer, cmd string) {
	if e.Kind == "config_rejected" || e.Kind == "config_warning" {
		fmt.Fprintf(stderr, "tmonbench %s: warning: %s\n", cmd, e.Message)
	}
}

// sayConfigSwitch prints the one line of a switch-over on stderr: msg is
// the config_switch_start event's message.
func sayConfigSwitch(stderr io.Writer, cmd, msg string) {
	fmt.Fprintf(stderr, "tmonbench %s: %s\n", cmd, msg)
}

// drainEvents returns the events to report and forgets them.
func (s *switcher) drainEvents() []pendingEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.events
	s.events = nil
	return ev
}

// due returns the pending version if it takes effect at or before nowNs.
func (s *switcher) due(nowNs int64) *config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return nil
	}
	if ns, ok := s.pending.ValidFromNs(); ok && nowNs < ns {
		return nil
	}
	c := s.pending
	s.pending = nil
	s.current = versionOf(c)
	return c
}

func (s *switcher) close() {
	s.w.Close()
	<-s.done
}
