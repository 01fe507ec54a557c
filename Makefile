# make run:   V2 over the shipped sample, printing alerts (NOW anchors the 6h lookback in the sample)
# make test:  formatting, vet, every Go test, and every rule's test cases (detect test rules/)
GO   ?= go
BIN  := bin/detect
NOW  ?= 2026-11-20T12:00:00Z

.PHONY: build run test
build:
	$(GO) build -o $(BIN) ./cmd/detect

run: build
	./$(BIN) run --rule rules/foci/v2.yaml --now $(NOW) fixtures/foci/signins.ndjson

test: build
	@unformatted=$$(gofmt -l cmd engine); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test ./...
	./$(BIN) test rules/
