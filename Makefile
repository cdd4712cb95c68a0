# The platform's commands. `make run` runs it; `make test` proves it.
# The one Python the platform runs on, named in .python-version (the Dockerfile's base image and
# the lock follow it).
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= python$(PYTHON_VERSION)
VENV ?= .venv
BIN := $(VENV)/bin
# Python keeps the bytecode it compiles (in __pycache__, which git ignores) even where the shell
# says not to: every process of the suite and of `make run` imports the platform, and pytest
# rewrites every test module's asserts; compiled afresh each time, that was a tenth of the
# suite's CPU (collecting the suite alone: 20 s of CPU, 9 s with the bytecode kept).
export PYTHONDONTWRITEBYTECODE :=

.PHONY: install lock lock-check system-packages run test test-fast test-flaky test-durations lint \
	typecheck bench reliability tokens secrets clean

# The servers the tests, the benchmarks and the fault-injection run start for themselves (never
# the machine's own, which may be stopped), and the browser the console's tests drive: Debian's
# packages, by what each installs.
SYSTEM_PACKAGES := rabbitmq-server:/usr/lib/rabbitmq/bin/rabbitmq-server \
	postgresql:/usr/lib/postgresql/*/bin/pg_ctl chromium:/usr/bin/chromium

## The virtualenv: exactly the set in requirements-dev.lock (the platform's, with the test and
## bench extras), every file checked against its hash, then the platform itself (editable).
install: $(VENV)/.installed

# A new lock or Python builds the virtualenv afresh, so nothing the lock dropped stays behind.
$(VENV)/.locked: requirements-dev.lock .python-version
	@$(PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; assert v == "$(PYTHON_VERSION)", \
	  f"Python $(PYTHON_VERSION) is needed (.python-version), not {v}: make PYTHON=python$(PYTHON_VERSION)"'
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@

# A changed pyproject.toml (packages, entry points) installs the platform again, and only it.
$(VENV)/.installed: $(VENV)/.locked pyproject.toml
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

## Resolve pyproject.toml's dependencies again and write the locks with the hashes of every file:
## requirements-dev.lock with every extra, requirements.lock (the image's) the platform's own, at
## the same versions. Versions already locked stay unless pyproject.toml excludes them
## (`make lock UPGRADE=--upgrade` takes the newest allowed).
COMPILE = $(BIN)/uv pip compile --quiet pyproject.toml --generate-hashes --universal \
	--python-version $(PYTHON_VERSION) --custom-compile-command 'make lock'

lock:
	@test -x $(BIN)/uv || $(MAKE) install
	$(COMPILE) --all-extras $(UPGRADE) --output-file requirements-dev.lock
	$(COMPILE) --constraint requirements-dev.lock --output-file requirements.lock

## Fails when pyproject.toml asks for something the locks do not hold (then: make lock).
lock-check: install
	@cp requirements-dev.lock $(VENV)/dev.lock.check; cp requirements.lock $(VENV)/lock.check
	@$(COMPILE) --all-extras --output-file $(VENV)/dev.lock.check
	@$(COMPILE) --constraint requirements-dev.lock --output-file $(VENV)/lock.check
	@diff -u requirements-dev.lock $(VENV)/dev.lock.check && diff -u requirements.lock $(VENV)/lock.check \
	  || { echo "the locks are out of date with pyproject.toml: run make lock"; exit 1; }

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

## The whole suite N times in a row beside two CPU hogs (`make test-flaky N=10`): a test that
## fails on a busy machine is a failing test.
N ?= 10
test-flaky: install system-packages
	PMI_ENV=development $(BIN)/python -m tests.flaky --runs $(N)

## Record how long each test takes (.test_durations): the parallel processes take the longest modules first.
test-durations: install system-packages
	PMI_ENV=development $(BIN)/python -m tests.parallel --store-durations

## Unit tests only: no broker, no database.
test-fast: install
	$(BIN)/pytest tests/unit

## ruff's rules and format, and mypy over the shared code and every service's domain and handlers.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

## The secrets docker compose reads, written once into .env (never overwritten, never committed).
secrets:
	$(PYTHON) -m pmi_tools.envfile .env

## Development tokens for each role, signed as `make run`'s gateway checks them (its JWT_SECRET,
## or the development secret when none is set).
tokens: install
	@PMI_ENV=development $(BIN)/pmi token

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
