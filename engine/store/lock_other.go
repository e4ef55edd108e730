//go:build !unix

package store

import "os"

// lockFile is a no-op where flock does not exist: two runs into one
// folder are not detected there.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
