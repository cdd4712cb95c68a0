# The platform's commands. `make run` runs it; `make test` proves it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install system-packages run test test-fast test-durations lint bench reliability tokens \
	secrets clean

# The servers the tests, the benchmarks and the fault-injection run start for themselves (never
# the machine's own, which may be stopped), and the browser the console's tests drive: Debian's
# packages, by what each installs.
SYSTEM_PACKAGES := rabbitmq-server:/usr/lib/rabbitmq/bin/rabbitmq-server \
	postgresql:/usr/lib/postgresql/*/bin/pg_ctl chromium:/usr/bin/chromium

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade 'pip' 'setuptools<82' wheel
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

## Run the four services and the gateway (SQLite by default; RabbitMQ at AMQP_URI).
run: install
	PMI_ENV=development $(BIN)/python -m pmi_tools.stack

## The system packages the suite needs: installed when root, otherwise the command to run.
system-packages:
	@missing=""; for entry in $(SYSTEM_PACKAGES); do \
	  ls $${entry#*:} >/dev/null 2>&1 || missing="$$missing $${entry%%:*}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "The tests need:$$missing. Install them, then run make test again:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

## The whole test suite: unit, integration, end to end and the fault-injection batch, in
## parallel groups, each on a RabbitMQ and a PostgreSQL of its own (never the machine's).
test: install system-packages
	PMI_ENV=development $(BIN)/python -m tests.parallel

## Record how long each test takes, so the parallel groups stay even (.test_durations).
test-durations: install system-packages
	PMI_ENV=development $(BIN)/python -m tests.parallel --store-durations

## Unit tests only: no broker, no database.
test-fast: install
	$(BIN)/pytest tests/unit

lint: install
	$(BIN)/ruff check .

## The secrets docker compose reads, written once into .env (never overwritten, never committed).
secrets:
	$(PYTHON) -m pmi_tools.envfile .env

## Development tokens for each role (needs the same JWT_SECRET as the gateway).
tokens: install
	@for role in operator verifier trainer agency admin; do echo "$$role: $$($(BIN)/pmi token $$role)"; done

bench: install system-packages
	$(BIN)/python -m bench.run

## The large reliability runs: the fault-injection, broker-cluster, scale-out and fuzzing tests
## at full volume (RELIABILITY_SCALE=large; `make test` runs them small), then the 2,000-worker
## fault-injection batch (about 20 minutes), each on a RabbitMQ and a PostgreSQL of its own.
reliability: install system-packages
	PMI_ENV=development RELIABILITY_SCALE=large $(BIN)/pytest -p no:cacheprovider \
		tests/reliability tests/integration/test_gateway_fuzz.py
	$(BIN)/python -m tests.reliability.run --workers 2000 --concurrency 32

clean:
	rm -rf var .pytest_cache
