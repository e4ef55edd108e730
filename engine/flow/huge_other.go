//go:build !linux

package flow

// hugePages does nothing where transparent huge pages are not advised.
func hugePages[T any](b []T) {}

// smallPages does nothing where transparent huge pages are not advised.
func smallPages[T any](b []T) {}
