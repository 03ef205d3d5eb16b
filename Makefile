# tend — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/tend
export TEND_CH_DIR ?= $(CURDIR)/.clickhouse

# `make run` connects as tend's writer (user tend: databases tend and tend_reporting
# only) with the password scripts/clickhouse generated; Grafana's user is grafana.
run: export TEND_CLICKHOUSE_ADDR ?= 127.0.0.1:$(or $(TEND_CH_TCP_PORT),9000)
run: export TEND_CLICKHOUSE_USER ?= tend
run: export TEND_CLICKHOUSE_PASSWORD_FILE ?= $(TEND_CH_DIR)/secrets/tend
run: export TEND_CLICKHOUSE_READONLY_PASSWORD_FILE ?= $(TEND_CH_DIR)/secrets/grafana

.PHONY: run test build clickhouse-up clickhouse-down chdb-install vet fuzz bench clean

## run: ClickHouse up, build, `tend up --demo` (demo check-ins flow; Ctrl-C stops)
run: clickhouse-up build
	./$(BIN) up --demo

## test: ClickHouse up, chDB installed, go vet, every test (end-to-end ones on real NATS and ClickHouse), short fuzz runs
##   tests connect as ClickHouse's admin user (default; password in $(TEND_CH_DIR)/secrets/default, or
##   TEND_TEST_CLICKHOUSE_PASSWORD_FILE) on TEND_TEST_CLICKHOUSE_ADDR, else 127.0.0.1:$$TEND_CH_TCP_PORT (9000)
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
