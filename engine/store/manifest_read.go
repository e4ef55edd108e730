package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// decodeManifest parses a run.json's bytes. Its error, to follow the
// file's path, says what is wrong: "is not a JSON object: it starts with
// "null"" (null, an array, garbage: one fault, one wording) or "is not
// valid JSON: <cause>" (an object cut short or malformed).
func decodeManifest(b []byte) (Manifest, error) {
	var m Manifest
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return m, fmt.Errorf("is not a JSON object: it starts with %q", t[:min(len(t), 16)])
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("is not valid JSON: %w", err)
	}
	return m, nil
}

// readRunManifest reads the run.json of an output folder being checked:
// ErrManifestUnreadable, in one sentence naming the file and its fault,
// when it is not a regular file (a folder, a dangling link, a FIFO that
// would block the read) or cannot be read or parsed (decodeManifest).
func readRunManifest(out string) (Manifest, error) {
	path := filepath.Join(out, ManifestName)
	unreadable := func(fault error) error { // fault reads after the path: "is a directory, not a file"
		return fmt.Errorf("%w: %s %w; it may be the output of a tmonbench collector or live run, which is never replaced: choose another --out, or repair or remove the folder first", ErrManifestUnreadable, path, fault)
	}
	cause := func(err error) error {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // the path is said once, before
		}
		return fmt.Errorf("cannot be read: %w", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return Manifest{}, unreadable(cause(err))
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		if fi, err = os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return Manifest{}, unreadable(fmt.Errorf("is a dangling symbolic link (to %s, which does not exist)", target))
		} else if err != nil {
			return Manifest{}, unreadable(cause(err))
		}
	}
	if !fi.Mode().IsRegular() {
		return Manifest{}, unreadable(fmt.Errorf("is %s, not a file", fileKind(fi.Mode())))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, unreadable(cause(err))
	}
	m, err := decodeManifest(b)
	if err != nil {
		return Manifest{}, unreadable(err)
	}
	return m, nil
}

// fileKind names the kind of a file that is not a regular one, with its
// article ("a directory"), as ls -l's first letter does.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return fmt.Sprintf("a special file (%s)", m.Type())
}
