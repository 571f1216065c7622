# citygate — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: help venv test test-unit test-faults test-secure lint format deploy-render deploy-check demo bench soak prometheus broker-start broker-stop topics worker clean
PROMETHEUS_PORT ?= 9090
SOAK_MINUTES ?= 30

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

venv: $(STAMP) ## Create .venv and install citygate with its dev tools

test: $(STAMP) ## Every test tier (unit, agents, integration on a real local Kafka broker, faults on a 3-node cluster)
	deploy/local/with-kafka $(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(STAMP) ## Only the tests that need no broker
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-faults: $(STAMP) ## Only the fault tier (a 3-node cluster of its own, nodes killed and restarted)
	$(BIN)/pytest tests/faults $(PYTEST_ARGS)

test-secure: $(STAMP) ## Only the secure tier (a SASL_SSL broker of its own; every role's ACLs, refused clients)
	$(BIN)/pytest tests/secure $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, ruff format --check, mypy strict over the whole package
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The tools deploy-check needs, built from the Go module proxy at pinned versions (Go is on every machine
# of this project's kind), kept per user so a fresh clone does not rebuild them. Debian's promtool is built
# without Kubernetes discovery, so the Kubernetes scrape config needs upstream's, built with that discovery
# alone (the build tags leave out the cloud providers' SDKs, most of the build).
KUSTOMIZE_VERSION := v5.5.0
PROMTOOL_VERSION := v0.316.0
TOOLS ?= $(HOME)/.cache/citygate/tools
KUSTOMIZE := $(TOOLS)/kustomize-$(KUSTOMIZE_VERSION)
PROMTOOL := $(TOOLS)/promtool-$(PROMTOOL_VERSION)
OVERLAYS := dev prod

$(KUSTOMIZE):
	@command -v go >/dev/null || { echo "deploy-check needs Go to build kustomize $(KUSTOMIZE_VERSION)"; exit 1; }
	@mkdir -p $(TOOLS)/.bin-kustomize
	GOBIN=$(TOOLS)/.bin-kustomize go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	mv $(TOOLS)/.bin-kustomize/kustomize $@

$(PROMTOOL):
	@command -v go >/dev/null || { echo "deploy-check needs Go to build promtool $(PROMTOOL_VERSION)"; exit 1; }
	@mkdir -p $(TOOLS)/.bin-promtool
	GOBIN=$(TOOLS)/.bin-promtool go install -tags remove_all_sd,enable_kubernetes_sd \
	  github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION)
	mv $(TOOLS)/.bin-promtool/promtool $@

deploy-render: $(STAMP) ## Regenerate deploy/k8s/base/generated (KafkaTopics, KafkaUsers, rules, dashboard)
	env -i PATH="$$PATH" HOME="$$HOME" $(BIN)/citygate deploy render

# A clean environment for the render: the committed files are the default deployment's, whatever
# CITYGATE_* this shell has set.
deploy-check: $(STAMP) $(KUSTOMIZE) $(PROMTOOL) ## Offline: generated files current, every manifest and the compose file valid, promtool check config
	env -i PATH="$$PATH" HOME="$$HOME" $(BIN)/citygate deploy render --check
	set -o pipefail; for overlay in $(OVERLAYS); do \
	  echo "deploy/k8s/overlays/$$overlay:"; \
	  $(KUSTOMIZE) build deploy/k8s/overlays/$$overlay | $(BIN)/python deploy/k8s/validate.py - || exit 1; \
	done
	$(BIN)/python deploy/k8s/validate.py --compose deploy/compose/compose.yaml
	$(PROMTOOL) check config deploy/prometheus/prometheus-k8s.yml
	$(PROMTOOL) check config deploy/compose/prometheus.yml

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The demo's registry root (made once, 0600): the worker trusts it, so the demo runs with signatures checked.
DEMO_KEYS := .citygate-data/keys

demo: $(STAMP) ## Broker, topics, a worker, simulated city traffic, the drill and the live console; SECURE=1 on SASL_SSL
	@mkdir -p $(DEMO_KEYS) && chmod 700 $(DEMO_KEYS)
	@test -f $(DEMO_KEYS)/root.key || $(BIN)/citygate operators root --key-out $(DEMO_KEYS)/root.key >/dev/null
	CITYGATE_REGISTRY_ROOT_KEY=@$(CURDIR)/$(DEMO_KEYS)/root.key \
	  CITYGATE_OPERATOR_KEY_FILE=$(CURDIR)/$(DEMO_KEYS)/root.key deploy/local/demo $(if $(filter 1,$(SECURE)),--secure)

bench: $(BENCH_STAMP) ## Throughput and latency vs a plain aiokafka loop and Quix Streams; BENCH_ARGS=--quick
	deploy/local/with-kafka $(BIN)/python -m bench $(BENCH_ARGS)

soak: $(BENCH_STAMP) ## Two workers at the design peak on a 3-node cluster for SOAK_MINUTES (30): RSS, lag, latency
	deploy/local/with-kafka --brokers 3 $(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

# The workers `make prometheus` scrapes: host:port of each worker's web port, comma-separated.
WORKERS ?= 127.0.0.1:6066
PROMETHEUS_CONFIG := .citygate-data/prometheus/prometheus.yml

prometheus: ## Prometheus (Debian's package, installed if missing) on :9090, scraping WORKERS (127.0.0.1:6066)
	@test -x /usr/bin/prometheus -a -x /usr/bin/promtool || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  apt="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get"; \
	  $$apt install -y -q --no-install-recommends prometheus \
	    || { $$apt update -q && $$apt install -y -q --no-install-recommends prometheus; }; }
	@mkdir -p .citygate-data/prometheus
	@targets=$$(printf '%s' "$(WORKERS)" | sed 's/[^,][^,]*/"&"/g; s/,/, /g'); \
	  sed -e "s|^      - targets: \[\"127.0.0.1:6066\"\]$$|      - targets: [$$targets]|" \
	      -e "s|^  - rules.yml$$|  - $(CURDIR)/deploy/prometheus/rules.yml|" \
	      deploy/prometheus/prometheus.yml >$(PROMETHEUS_CONFIG)
	/usr/bin/promtool check config $(PROMETHEUS_CONFIG)
	/usr/bin/promtool test rules deploy/prometheus/rules_test.yml
	@echo "prometheus: http://127.0.0.1:$(PROMETHEUS_PORT) scraping $(WORKERS) (alerts: /alerts, targets: /targets); Ctrl-C stops it"
	exec /usr/bin/prometheus --config.file=$(PROMETHEUS_CONFIG) \
	  --storage.tsdb.path=.citygate-data/prometheus --web.listen-address=127.0.0.1:$(PROMETHEUS_PORT)

broker-start: ## Start the local broker (KAFKA_PORT, default 9092)
	deploy/local/kafka start

broker-stop: ## Stop the local broker
	deploy/local/kafka stop

topics: $(STAMP) ## Create the public topics on KAFKA_BOOTSTRAP (default 127.0.0.1:9092)
	$(BIN)/citygate topics create

worker: $(STAMP) ## Run one worker in the foreground
	$(BIN)/citygate worker

clean: ## Remove the venv, caches and local broker data (keeps the jar cache)
	-deploy/local/kafka stop --purge
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .citygate-data deploy/local/run
