//go:build ignore

// testsummary reads `go test -json` on standard input and prints what CI
// needs to see: one line per package (ok/FAIL and time), the output of
// every failed test, every skipped test with its reason, and the counts.
// It exits 1 when a test or a package failed, or when any test skipped:
// under CI=true a test whose data, tool or privilege is missing fails
// (internal/testenv), so a skip is a test CI did not run. -allow-skip
// REGEXP lets named tests (package/TestName) skip on purpose.
//
//	CI=true go test -json ./... | go run .ci/testsummary.go
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	allow := flag.String("allow-skip", "", "regexp of package/TestName that may skip")
	flag.Parse()
	var allowRE *regexp.Regexp
	if *allow != "" {
		allowRE = regexp.MustCompile(*allow)
	}
	out := map[string][]string{} // package/test -> output lines
	var passed, failed, skipped, badSkips int
	var failures, skips, pkgLines []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Println(sc.Text()) // not JSON: go's own messages
			continue
		}
		key := e.Package + "/" + e.Test
		short := strings.TrimPrefix(e.Package, "github.com/tmonbench/tmonbench/")
		switch e.Action {
		case "output", "build-output":
			out[key] = append(out[key], e.Output)
		case "pass":
			if e.Test != "" {
				passed++
			} else {
				pkgLines = append(pkgLines, fmt.Sprintf("ok    %-28s %7.1fs", short, e.Elapsed))
			}
		case "fail":
			if e.Test != "" {
				failed++
				failures = append(failures, fmt.Sprintf("--- FAIL %s %s\n%s", short, e.Test, strings.Join(out[key], "")))
			} else {
				pkgLines = append(pkgLines, fmt.Sprintf("FAIL  %-28s %7.1fs", short, e.Elapsed))
				failures = append(failures, fmt.Sprintf("--- FAIL package %s\n%s", short, strings.Join(out[key], "")))
			}
		case "skip":
			if e.Test == "" {
				continue // a package without tests
			}
			skipped++
			ok := allowRE != nil && allowRE.MatchString(short+"/"+e.Test)
			mark := "NOT ALLOWED"
			if ok {
				mark = "allowed"
			} else {
				badSkips++
			}
			skips = append(skips, fmt.Sprintf("SKIP  %s %s (%s): %s", short, e.Test, mark, reason(out[key])))
		}
		if e.Action == "pass" || e.Action == "fail" || e.Action == "skip" {
			delete(out, key)
		}
	}
	sort.Strings(pkgLines)
	for _, l := range pkgLines {
		fmt.Println(l)
	}
	for _, f := range failures {
		fmt.Print(f)
	}
	for _, s := range skips {
		fmt.Println(s)
	}
	fmt.Printf("tests: %d passed, %d failed, %d skipped (%d not allowed)\n", passed, failed, skipped, badSkips)
	if failed > 0 || len(failures) > 0 || badSkips > 0 {
		os.Exit(1)
	}
}

// reason is the skip message in a skipped test's output.
func reason(lines []string) string {
	var r []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		r = append(r, l)
	}
	return strings.Join(r, " ")
}
