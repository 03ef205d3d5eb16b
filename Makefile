# tend — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/tend
export TEND_CH_DIR ?= $(CURDIR)/.clickhouse

.PHONY: run test build clickhouse-up clickhouse-down chdb-install vet fuzz bench clean

## run: ClickHouse up, build, `tend up --demo` (demo check-ins flow; Ctrl-C stops)
run: clickhouse-up build
	./$(BIN) up --demo

## test: ClickHouse up, chDB installed, go vet, every test (end-to-end ones on real NATS and ClickHouse), short fuzz runs
test: clickhouse-up chdb-install vet
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory fuzz

build:
	$(GO) build -o $(BIN) ./cmd/tend

vet:
	$(GO) vet ./...

## fuzz: a short run of each fuzz target
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench: clickhouse-up
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clickhouse-up:
	scripts/clickhouse up

clickhouse-down:
	scripts/clickhouse down

## chdb-install: current ClickHouse, embedded (libchdb.so under .chdb/), for the compatibility tests
chdb-install:
	scripts/chdb install >/dev/null

clean:
	rm -rf bin data
