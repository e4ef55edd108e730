package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// versionOf is what tells two versions of a watched config apart: its
// hash and its probes' keys. config.Hash leaves the keys out (run.json
// shows it beside the redacted text), yet a key rotation alone is a new
// version: the collector must accept the probes' new keys and a probe
// sign with its own (a trial's collector refused every PDU, "bad tag",
// until restarted). The keys stay in memory: the result is never written.
func versionOf(c *config.Config) string {
	var b strings.Builder
	b.WriteString(c.Hash())
	for _, p := range c.Probes {
		fmt.Fprintf(&b, "\x00%q=%q", p.Name, p.Key)
	}
	return b.String()
}

// keysOnly is the note of a config_accepted event for a version whose
// hash is the running one's (running: versionOf it): only probe keys
// changed, and the hash alone would read as the same version.
func keysOnly(c *config.Config, running string) string {
	if strings.HasPrefix(running, c.Hash()+"\x00") {
		return " (probe keys changed)"
	}
	return ""
}

// supersede drops the pending version, if any, replaced by by before it
// took effect (its config_accepted said when it would): a
// config_superseded event names both. Called with s.mu held.
func (s *switcher) supersede(by string) {
	if s.pending == nil {
		return
	}
	when := "at once"
	if s.pending.ValidFrom != "" {
		when = fmt.Sprintf("valid_from %q", s.pending.ValidFrom)
	}
	s.events = append(s.events, pendingEvent{Severity: pdu.SevInfo, Kind: "config_superseded", Message: fmt.Sprintf("configuration %s (%s) replaced by configuration %s before it took effect: it never will", s.pending.Hash(), when, by)})
	s.pending = nil
}

// resolve follows path through its symlinks, if any, and watches the
// folder of every link of the chain and of the file it ends at: an edit of
// the file, or a link anywhere in the chain replaced (ln -sfn), then
// counts as an edit of path (the folder of path alone only sees path
// itself replaced; its final target's folder only the file's edits).
// Called at start and whenever a name of the chain changes.
func (s *switcher) resolve() {
	chain := linkChain(s.path)
	want := map[string]bool{}
	for _, n := range chain {
		want[filepath.Dir(n)] = true
	}
	own := filepath.Dir(s.path) // watched by watchConfig, for the switcher's life
	for d := range want {
		if d != own && !s.dirs[d] && s.w.Add(d) != nil {
			delete(want, d) // unwatched (gone for now): the next event or reload resolves it again
		}
	}
	for d := range s.dirs {
		if d != own && !want[d] {
			s.w.Remove(d)
		}
	}
	s.chain, s.dirs = chain, want
}

// maxLinks bounds a symlink chain, as the kernel's ELOOP does (40).
const maxLinks = 40

// linkChain returns path and every name it leads to through symlinks, in
// order (cleaned, relative targets joined to their link's folder): the
// last is the file, or the first name that is not a readable link
// (missing for now, an editor's rename). A loop ends the chain.
func linkChain(path string) []string {
	p := filepath.Clean(path)
	chain := []string{p}
	for range maxLinks {
		to, err := os.Readlink(p)
		if err != nil {
			break
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(p), to)
		}
		if p = filepath.Clean(to); slices.Contains(chain, p) {
			break
		}
		chain = append(chain, p)
	}
	return chain
}

// replacing names prev, the version next replaces, in the switch-over's
// events and line: its hash, said to be the one before a key change when
// next has the same hash ("replacing X, replacing X" read as no change).
func replacing(prev, next *config.Config) string {
	if prev.Hash() == next.Hash() && versionOf(prev) != versionOf(next) {
		return prev.Hash() + " (its probe keys before the change)"
	}
	return prev.Hash()
}

// note queues an event of the command's own, reported with the watcher's
// (drainEvents).
func (s *switcher) note(sev uint8, kind, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, pendingEvent{Severity: sev, Kind: kind, Message: msg})
}
