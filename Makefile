# make run:      V2 over the shipped sample, printing alerts (NOW anchors the 6h lookback in the sample)
# make test:     formatting, vet, every Go test, and every rule's cases (detect test rules/)
# make bench:    the engine against the floor of reading its input, and the Go benchmarks
# make fuzz:     every fuzz target for FUZZTIME each
# make fixtures: render fixtures/shapes, fixtures/audit and fixtures/garbage again
# make corpus:   (development) decode every published Sentinel rule under ../shared/corpus and parse
#                its query; needs that folder, which a user's clone does not have
GO       ?= go
BIN      := bin/detect
NOW      ?= 2026-11-20T12:00:00Z
FUZZTIME ?= 20s
# package:target of every fuzz target
FUZZ     := engine/input:FuzzRead engine/input:FuzzReadJSONLines engine/input:FuzzReadJSONDocument \
            engine/input:FuzzReadCSV engine/input:FuzzReadCompressed engine/input:FuzzScanner engine/input:FuzzCutRecord engine/input:FuzzLinesInBatches \
            engine/rule:FuzzLoad engine/kqlparse:FuzzParse engine/sentinel:FuzzDecode

.PHONY: build run test bench fuzz fixtures corpus
build:
	$(GO) build -o $(BIN) ./cmd/detect

# make bench: detect run with rules/foci/v2.yaml over BENCH_ROWS generated rows (cached in .bench/),
# against the floor of reading them (gjson.Valid over every line on all cores), each timed
# BENCH_RUNS times (medians printed); then detect hunt of it every hour over HUNT_ROWS rows spread
# over 30 days (4.5 GB, generated once) against one detect run over them, in turns, HUNT_RUNS times
# (HUNT_ROWS=0 skips it); then the Go benchmarks of the reader, the predicates and the join.
BENCH_ROWS ?= 100000
BENCH_RUNS ?= 5
HUNT_ROWS  ?= 1000000
HUNT_RUNS  ?= 3
bench: build
	$(GO) build -o bin/gen ./cmd/gen
	$(GO) run ./cmd/bench -n $(BENCH_ROWS) -runs $(BENCH_RUNS) -hunt-n $(HUNT_ROWS) -hunt-runs $(HUNT_RUNS)
	$(GO) test -run '^$$' -bench . -benchmem ./engine/...

run: build
	./$(BIN) run --rule rules/foci/v2.yaml --now $(NOW) fixtures/foci/signins.ndjson

test: build
	@unformatted=$$(gofmt -l cmd engine); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -timeout 20m ./...
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
