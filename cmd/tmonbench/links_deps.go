package main

import "github.com/tmonbench/tmonbench/live"

// linkChanges is what linkWatch takes from a live.LinkWatcher: the
// announced changes, and whether one of an interface is still held.
type linkChanges interface {
	Changes(dst []live.LinkChange) ([]live.LinkChange, uint64)
	Holding(i int) bool
	Close() error
}

// linkReader is what linkWatch takes from a live.Source: the interfaces
// as they are now, and the stop when none is left.
type linkReader interface {
	Links() []live.Link
	Stop()
}
