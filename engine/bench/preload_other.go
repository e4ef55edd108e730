//go:build !linux

package bench

import "os"

// preload reads the capture at path into the Go heap (inHeap: the runs'
// memory limit is raised by its size). release does nothing.
func preload(path string) (data []byte, release func(), inHeap bool, err error) {
	b, err := os.ReadFile(path)
	return b, func() {}, true, err
}
