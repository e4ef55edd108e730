//go:build !linux

package store

import "github.com/tmonbench/tmonbench/internal/fsync"

// syncTree fsyncs every file and folder under dir (no syncfs here).
func syncTree(dir string) error { return fsync.Tree(dir) }
