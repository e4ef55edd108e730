//go:build !linux

package flow

// HugePages does nothing where transparent huge pages are not advised.
func HugePages[T any](b []T) {}

// SmallPages does nothing where transparent huge pages are not advised.
func SmallPages[T any](b []T) {}
