# make run:      V2 over the shipped sample, printing alerts (NOW anchors the 6h lookback in the sample)
# make test:     formatting, vet, and every test
# make fuzz:     every fuzz target for FUZZTIME each
# make fixtures: render fixtures/shapes and fixtures/garbage again
GO       ?= go
BIN      := bin/detect
NOW      ?= 2026-11-20T12:00:00Z
FUZZTIME ?= 20s
# package:target of every fuzz target
FUZZ     := engine/input:FuzzRead engine/input:FuzzReadJSONLines engine/input:FuzzReadJSONDocument \
            engine/input:FuzzReadCSV engine/input:FuzzReadCompressed engine/input:FuzzScanner engine/rule:FuzzLoad

.PHONY: build run test fuzz fixtures
build:
	$(GO) build -o $(BIN) ./cmd/detect

run: build
	./$(BIN) run --rule rules/foci/v2.yaml --now $(NOW) fixtures/foci/signins.ndjson

test:
	@unformatted=$$(gofmt -l cmd engine); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test ./...

fuzz:
	@set -e; for t in $(FUZZ); do \
		echo "fuzz $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test ./$${t%%:*} -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME); \
	done

fixtures:
	$(GO) test ./cmd/detect -run '^TestFixturesAreUpToDate$$' -update
