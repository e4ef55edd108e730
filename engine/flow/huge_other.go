//go:build !linux

package flow

// HugePages does nothing where transparent huge pages are not advised.
func HugePages[T any](b []T) {}

// SmallPages does nothing where transparent huge pages are not advised.
func SmallPages[T any](b []T) {}

// Populate does nothing where pages cannot be populated ahead of use.
func Populate[T any](b []T) {}
