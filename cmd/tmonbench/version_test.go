package main

import (
	"runtime/debug"
	"testing"
)

// TestCommitFromModuleVersion: a binary built by `go install
// github.com/tmonbench/tmonbench/cmd/tmonbench@COMMIT` has no vcs.* build
// settings (it is built from the module cache) and names the module by a
// pseudo-version, which holds the commit's 12-hex prefix and its UTC time
// (go.dev/ref/mod#pseudo-versions: vX.0.0-yyyymmddhhmmss-abcdefabcdef,
// vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef, vX.Y.(Z+1)-0.yyyymmddhhmmss-
// abcdefabcdef): `version` printed "commit unknown" there. The stamp of
// `just build` (-ldflags -X main.commit) and the vcs.* settings still come
// first; a release tag, (devel) and no version hold no commit.
func TestCommitFromModuleVersion(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0708b6c4"}, {Key: "vcs.time", Value: "2026-12-04T05:00:00Z"}}
	for _, c := range []struct {
		bi      debug.BuildInfo
		stamped string
		want    string
	}{
		{debug.BuildInfo{Main: debug.Module{Path: "github.com/tmonbench/tmonbench", Version: "v0.0.0-20261207211500-abcdef123456"}}, "",
			"abcdef123456 (2026-12-07T21:15:00Z, module version v0.0.0-20261207211500-abcdef123456)"},
		{debug.BuildInfo{Main: debug.Module{Version: "v1.2.4-0.20261207211500-abcdef123456"}}, "",
			"abcdef123456 (2026-12-07T21:15:00Z, module version v1.2.4-0.20261207211500-abcdef123456)"},
		{debug.BuildInfo{Main: debug.Module{Version: "v1.3.0-rc.1.0.20261207211500-abcdef123456"}}, "",
			"abcdef123456 (2026-12-07T21:15:00Z, module version v1.3.0-rc.1.0.20261207211500-abcdef123456)"},
		{debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207211500-abcdef123456+dirty"}}, "", // Go 1.24+ go build of a modified checkout
			"abcdef123456 (2026-12-07T21:15:00Z, modified, module version v0.0.0-20261207211500-abcdef123456+dirty)"},
		{debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207211500-abcdef123456"}, Settings: vcs}, "", "0708b6c4 (2026-12-04T05:00:00Z)"},
		{debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207211500-abcdef123456"}}, "299c7f7d", "299c7f7d (-ldflags -X main.commit)"},
		{debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "", noCommit},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", noCommit},
		{debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261307211500-abcdef123456"}}, "", noCommit}, // month 13
		{debug.BuildInfo{}, "", noCommit},
	} {
		if got := commitLine(c.bi.Settings, c.bi.Main.Version, c.stamped); got != c.want {
			t.Errorf("module version %q, stamped %q: commit %q, want %q", c.bi.Main.Version, c.stamped, got, c.want)
		}
	}
}
