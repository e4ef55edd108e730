package probe

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tmonbench/tmonbench/internal/fsync"
)

// NextEpoch returns the epoch of a new run of probe name (pdu.Header.Epoch):
// the wall clock nowNs, or one more than the previous run's epoch if the
// clock is not past it (it stepped back since), so that the collector,
// which refuses runs older than the ones it saw, takes every new run
// (issue 13). The previous epoch is kept in dir, in probe-<name>.epoch,
// written atomically before the run starts. dir "" keeps nothing: nowNs.
// Errors: dir cannot be created or the file written (the epoch returned
// is then still the best known: use it).
func NextEpoch(dir, name string, nowNs int64) (int64, error) {
	if dir == "" {
		return nowNs, nil
	}
	path := filepath.Join(dir, "probe-"+strings.ReplaceAll(name, string(filepath.Separator), "_")+".epoch")
	epoch := nowNs
	if b, err := os.ReadFile(path); err == nil {
		if last, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && last >= epoch {
			epoch = last + 1
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return epoch, fmt.Errorf("probe epoch: %w", err)
	}
	err := fsync.WriteFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, strconv.FormatInt(epoch, 10)+"\n")
		return err
	})
	if err != nil {
		return epoch, fmt.Errorf("probe epoch: %w", err)
	}
	return epoch, nil
}

// DefaultStateDir is where a probe process keeps its state (the last
// epoch, NextEpoch): $XDG_STATE_HOME/tmonbench, else
// ~/.local/state/tmonbench; "" if neither is known.
func DefaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "tmonbench")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "tmonbench")
	}
	return ""
}
