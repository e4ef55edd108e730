package testout

import "github.com/tmonbench/tmonbench/internal/syncio"

// SyncBuffer is a buffer that a writer goroutine (a progress bar, a
// bubbletea renderer) and the test may use at the same time: the zero
// syncio.Writer, which holds what is written (String).
type SyncBuffer = syncio.Writer
