# tend — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/tend
export TEND_CH_DIR ?= $(CURDIR)/.clickhouse

# `make run` connects as tend's writer (user tend: databases tend, tend_reporting and
# the clinics' tend_reporting_<clinic> only) with the password scripts/clickhouse
# generated. Each clinic of TEND_CLINICS (the demo's two by default) gets its reporting
# database and its Grafana organization's reader grafana_<clinic>.
export TEND_CLINICS ?= northside,riverside
run: export TEND_CLICKHOUSE_ADDR ?= 127.0.0.1:$(or $(TEND_CH_TCP_PORT),9000)
run: export TEND_CLICKHOUSE_USER ?= tend
run: export TEND_CLICKHOUSE_PASSWORD_FILE ?= $(TEND_CH_DIR)/secrets/tend
run: export TEND_CLICKHOUSE_READONLY_PASSWORD_FILE ?= $(TEND_CH_DIR)/secrets/readers

# The fault suite (chaos/) runs nats-server as a process of its own: this
# version, installed into bin/ by the targets that need it.
NATS_SERVER_VERSION := v2.15.2
NATS_SERVER         := $(CURDIR)/bin/nats-server

.PHONY: run test build browser clickhouse-up clickhouse-down chdb-install vet fuzz bench clean chaos chaos-short nats-server

## run: ClickHouse up, build, `tend up --demo` (demo check-ins flow; Ctrl-C stops)
run: clickhouse-up build
	./$(BIN) up --demo

## test: ClickHouse up, chDB and Chromium installed, go vet, every test (end-to-end ones on real NATS and ClickHouse,
##   the check-in page in a real browser: TEND_REQUIRE_BROWSER=1, so it cannot be skipped), short fuzz runs
##   tests connect as ClickHouse's admin user (default; password in $(TEND_CH_DIR)/secrets/default, or
##   TEND_TEST_CLICKHOUSE_PASSWORD_FILE) on TEND_TEST_CLICKHOUSE_ADDR, else 127.0.0.1:$$TEND_CH_TCP_PORT (9000)
test: clickhouse-up chdb-install browser vet
	TEND_REQUIRE_BROWSER=1 $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory chaos-short
	$(MAKE) --no-print-directory fuzz

## chaos: the fault suite, full form (200,000 check-ins; processor kills, ClickHouse down 90 s and 5 min,
##   a NATS restart and stall) on a ClickHouse server of its own; prints one line of figures (about 16 min)
chaos: nats-server build
	TEND_CHAOS_FULL=1 TEND_CHAOS_NATS_SERVER=$(NATS_SERVER) TEND_CHAOS_TEND=$(CURDIR)/$(BIN) \
	  $(GO) test -count=1 -timeout 60m -v -run '^TestChaos$$' ./chaos

## chaos-short: the fault suite's short form (20,000 check-ins, shorter outages; about 4–5 min), part of `make test`
chaos-short: nats-server build
	TEND_CHAOS_NATS_SERVER=$(NATS_SERVER) TEND_CHAOS_TEND=$(CURDIR)/$(BIN) \
	  $(GO) test -count=1 -timeout 15m -v -run '^TestChaos$$' ./chaos

## nats-server: the pinned nats-server, for the fault suite
nats-server:
	@if [ "$$($(NATS_SERVER) --version 2>/dev/null)" != "nats-server: $(NATS_SERVER_VERSION)" ]; then \
	  echo "installing nats-server $(NATS_SERVER_VERSION) into bin/"; \
	  GOBIN=$(CURDIR)/bin $(GO) install github.com/nats-io/nats-server/v2@$(NATS_SERVER_VERSION); \
	fi

## browser: Debian's chromium, for the check-in page's browser test (ingest/webtest); installed only when missing
browser:
	@command -v chromium >/dev/null || { \
	  [ "$$(id -u)" = 0 ] || { echo "chromium is missing; install it as root: apt-get install chromium"; exit 1; }; \
	  echo "installing chromium (Debian)"; apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

build:
	$(GO) build -o $(BIN) ./cmd/tend

vet:
	$(GO) vet ./...

## fuzz: a short run of each fuzz target, bounded by executions, not seconds: a
##   duration-bounded run can fail with a bare "context deadline exceeded" when its
##   deadline races a worker on a loaded machine (https://go.dev/issue/75804)
FUZZTIME ?= 30000x
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
