package store

// Input is one capture (or other input) the run read.
type Input struct {
	Path      string `json:"path"`
	SizeBytes int64  `json:"size_bytes"`
}

// Skipped is a file a run's folder or glob argument brought in and the
// run skipped: not a capture it can read (replay: not pcap or pcapng, an
// unsupported version or link type, a header cut short). Reason is why,
// in words (the reader's error).
type Skipped struct {
	Path      string `json:"path"`
	SizeBytes int64  `json:"size_bytes"`
	Reason    string `json:"reason"`
}
