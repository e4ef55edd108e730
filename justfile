# tmonbench tasks. Each target wraps a plain Go command: `just` is a convenience, not a prerequisite.

out := "./tmon-out"

# Replay a bundled sample and show the summary.
run:
    go run ./cmd/tmonbench replay --out {{out}} samples/zeek_wikipedia.pcap
    go run ./cmd/tmonbench query --out {{out}} summary

# Build bin/tmonbench, stamped with the commit `tmonbench version` prints (.ci/commit; Go's
# own stamping is missing under -buildvcs=false and in a git worktree, golang/go#58218).
build:
    go build -ldflags "-X main.commit=$(bash .ci/commit)" -o bin/tmonbench ./cmd/tmonbench

# Install tmonbench into $GOBIN (or $GOPATH/bin), stamped like build.
install:
    go install -ldflags "-X main.commit=$(bash .ci/commit)" ./cmd/tmonbench

# The test suite (the README's test command), with a package timeout above Go's 10 minutes:
# go test ./cmd/tmonbench took 320-460 s on the 2-core machine and over 20 minutes under a load
# average of 31 (2026-12-07), where the default timeout panics.
test:
    go test -timeout 30m ./...

# Tests with the race detector.
race:
    go test -race $(bash .ci/race-packages)

# Benchmarks: packets/s and allocations per packet.
bench:
    go test -run '^$' -bench . -benchmem ./engine/... ./replay/...

# The probe benchmark on the 5M corpus of ../shared/bench (built once beside the checkout;
# building it installs tcpreplay and wireshark-common, as root).
bench-pcap corpus="../bench-data/corpus-5m.pcap" workers="0":
    test -f {{corpus}} || test -f ../shared/bench/make-corpus.sh || { echo "bench-pcap: no {{corpus}}, and no ../shared/bench/make-corpus.sh beside this checkout to build it: just bench-pcap corpus=PATH takes a capture of yours"; exit 1; }
    test -f {{corpus}} || (mkdir -p "$(dirname {{corpus}})" && bash ../shared/bench/make-corpus.sh {{corpus}} 5000000)
    go run ./cmd/tmonbench bench --repeat 3 --workers {{workers}} {{corpus}}

# Fuzz every fuzz target of the module for a short while each (crashers land in testdata/fuzz).
fuzz seconds="10s":
    bash .ci/fuzz {{seconds}}

# Format and static checks.
lint:
    test -z "$(gofmt -l $(git ls-files '*.go'))" || (gofmt -l $(git ls-files '*.go'); echo "gofmt: the files above need formatting"; exit 1)
    go vet ./...
    go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# What CI runs.
ci:
    bash .ci/run
