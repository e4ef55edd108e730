# tmonbench tasks. Each target wraps a plain Go command: `just` is a convenience, not a prerequisite.

out := "./tmon-out"

# Replay a bundled sample and show the summary.
run:
    go run ./cmd/tmonbench replay --out {{out}} samples/zeek_wikipedia.pcap
    go run ./cmd/tmonbench query --out {{out}} summary

# The test suite (the README's test command).
test:
    go test ./...

# Tests with the race detector.
race:
    go test -race ./engine/... ./replay/...

# Benchmarks: packets/s and allocations per packet.
bench:
    go test -run '^$' -bench . -benchmem ./engine/... ./replay/...

# Fuzz every decoder for a short while each (crashers land in testdata/fuzz).
fuzz seconds="30s":
    go test -run '^$' -fuzz FuzzDissect -fuzztime {{seconds}} ./engine/dissect
    go test -run '^$' -fuzz FuzzParseFrame -fuzztime {{seconds}} ./engine/pdu
    go test -run '^$' -fuzz FuzzRecords -fuzztime {{seconds}} ./engine/pdu
    go test -run '^$' -fuzz FuzzOpen -fuzztime {{seconds}} ./replay
    go test -run '^$' -fuzz FuzzParse -fuzztime {{seconds}} ./engine/filter
    go test -run '^$' -fuzz FuzzReassemble -fuzztime {{seconds}} ./engine/reasm

# Format and static checks.
lint:
    gofmt -l .
    go vet ./...
    go run honnef.co/go/tools/cmd/staticcheck@latest ./...

# What CI runs.
ci:
    bash .ci/run
