# make run:      V2 over the shipped sample, printing alerts (NOW anchors the 6h lookback in the sample)
# make test:     formatting, vet, every Go test (engine/input also without GOEXPERIMENT), and every
#                rule's cases (detect test rules/)
# make bench:    the engine against DuckDB, against itself (rules together, streaming) and against
#                the floor of reading its input, then the Go benchmarks (variables below, at bench:)
# make fuzz:     every fuzz target for FUZZTIME each
# make fixtures: render fixtures/shapes, fixtures/audit and fixtures/garbage again
# make corpus:   (development) decode every published Sentinel rule under ../shared/corpus and parse
#                its query; needs that folder, which a user's clone does not have
GO       ?= go
BIN      := bin/detect
# Go's simd experiment: on amd64 with AVX2, JSON strings are read 32 bytes a step
# (engine/input/valid_wide.go), about a tenth less CPU per record; a build without it (plain
# `go build`, other architectures) reads them eight bytes a step, with the same results.
export GOEXPERIMENT ?= simd
NOW      ?= 2026-11-20T12:00:00Z
FUZZTIME ?= 20s
# package:target of every fuzz target
FUZZ     := engine/input:FuzzRead engine/input:FuzzReadJSONLines engine/input:FuzzReadJSONDocument \
            engine/input:FuzzReadCSV engine/input:FuzzReadCompressed engine/input:FuzzScanner engine/input:FuzzCutRecord engine/input:FuzzLinesInBatches \
            engine/rule:FuzzLoad engine/kqlparse:FuzzParse engine/sentinel:FuzzDecode

.PHONY: build run test bench fuzz fixtures corpus
build:
	$(GO) build -o $(BIN) ./cmd/detect

# make bench (cmd/bench; every measure runs detect as a separate process, medians of BENCH_RUNS
# rounds taken in turns, wall, CPU and peak RSS printed with the ratios):
#   v2      detect run of rules/foci/v2.yaml --now latest over each of BENCH_SIZES generated rows,
#           against DuckDB running V2 as SQL over the same file (cmd/bench/duckdb, which also
#           checks that its alerts are detect's), with CPU per row and how it grows with the input
#           (also round by round: the first size and the last in turns)
#   rules   the 11 sign-in rules (rules/foci, rules/entra) in one run against the sum of each run
#           alone, and the 8 FOCI rules in one run against V2 alone, over BENCH_ROWS rows
#   stream  V2 streaming the BENCH_ROWS file (--stream) against a batch run of it
#   floor   V2 against the floor of reading the BENCH_ROWS file (gjson.Valid over every line on all
#           cores)
# then detect hunt of V2 every hour over HUNT_ROWS rows spread over 30 days (4.5 GB) against one
# detect run over them, in turns, HUNT_RUNS times; then the Go benchmarks.
# Variables:
#   BENCH_MEASURES  the measures to take (default: v2 rules stream floor)
#   BENCH_SIZES     rows of the v2 measure (default: 100000 1000000; add 3000000 for the 3M case,
#                   13 GB at full width)
#   BENCH_ROWS      rows of the rules, stream and floor measures (default: 100000)
#   BENCH_RUNS      rounds of each measure (default: 3)
#   BENCH_SHORT_RUNS rounds of the stream and floor measures, two short runs each, whose ratio a
#                   loaded machine bends more (default: 9)
#   BENCH_DIR       where generated inputs are cached, made once with cmd/gen (default: .bench)
#   BENCH_COLUMNS   generate only these columns, comma-separated (cmd/gen -columns; default: all):
#                   the same rows, narrower, for both engines
#   DUCKDB          1: build cmd/bench/duckdb (needs cgo; the first build downloads DuckDB's library
#                   through the Go module proxy) and measure against it; 0: detect's side alone
#   DETECT          the detect binary measured (default: bin/detect, built from this tree)
#   HUNT_ROWS       rows of the hunt measure (default: 1000000; 0 skips it); HUNT_RUNS its rounds (3)
#   GO_BENCH        1: run the Go benchmarks afterwards (default); 0: skip them
# A quick run: make bench BENCH_MEASURES=v2 BENCH_SIZES=100000 DUCKDB=0 HUNT_ROWS=0 GO_BENCH=0
BENCH_MEASURES ?= v2 rules stream floor
BENCH_SIZES    ?= 100000 1000000
BENCH_ROWS     ?= 100000
BENCH_RUNS     ?= 3
BENCH_SHORT_RUNS ?= 9
BENCH_DIR      ?= .bench
BENCH_COLUMNS  ?=
DUCKDB         ?= 1
DETECT         ?= $(BIN)
HUNT_ROWS      ?= 1000000
HUNT_RUNS      ?= 3
GO_BENCH       ?= 1
DUCKDB_BIN     := bin/bench-duckdb
bench: build
	$(GO) build -o bin/gen ./cmd/gen
ifeq ($(DUCKDB),1)
	cd cmd/bench/duckdb && CGO_ENABLED=1 $(GO) build -o ../../../$(DUCKDB_BIN) .
endif
	$(GO) run ./cmd/bench -measures "$(BENCH_MEASURES)" -sizes "$(BENCH_SIZES)" -n $(BENCH_ROWS) \
		-runs $(BENCH_RUNS) -short-runs $(BENCH_SHORT_RUNS) -dir $(BENCH_DIR) -columns "$(BENCH_COLUMNS)" -detect $(DETECT) \
		-duckdb "$(if $(filter 1,$(DUCKDB)),$(DUCKDB_BIN))" -hunt-n $(HUNT_ROWS) -hunt-runs $(HUNT_RUNS)
ifeq ($(GO_BENCH),1)
	$(GO) test -run '^$$' -bench . -benchmem ./engine/...
endif

run: build
	./$(BIN) run --rule rules/foci/v2.yaml --now $(NOW) fixtures/foci/signins.ndjson

test: build
	@unformatted=$$(gofmt -l cmd engine); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -timeout 20m ./...
	GOEXPERIMENT= $(GO) test ./engine/input
	./$(BIN) test rules/

fuzz:
	@set -e; for t in $(FUZZ); do \
		echo "fuzz $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test ./$${t%%:*} -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME); \
	done

fixtures:
	$(GO) test ./cmd/detect -run '^TestFixturesAreUpToDate$$' -update

corpus:
	$(GO) test -count=1 -tags corpus ./engine/sentinel -run '^TestCorpus$$' -v
