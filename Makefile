# The platform's commands. `make run` runs it; `make test` proves it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test test-fast lint bench reliability tokens secrets clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade 'pip' 'setuptools<82' wheel
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

## Run the four services and the gateway (SQLite by default; RabbitMQ at AMQP_URI).
run: install
	PMI_ENV=development $(BIN)/python -m pmi_common.stack

## The whole test suite: unit, integration and end to end, on the real RabbitMQ and PostgreSQL;
## then the small fault-injection batch, alone, since it restarts RabbitMQ and PostgreSQL (root).
test: install
	$(BIN)/pytest
	$(BIN)/pytest -m faults tests/reliability

## Unit tests only: no broker, no database.
test-fast: install
	$(BIN)/pytest tests/unit

lint: install
	$(BIN)/ruff check .

## The secrets docker compose reads, written once into .env (never overwritten, never committed).
secrets:
	$(PYTHON) -m pmi_common.envfile .env

## Development tokens for each role (needs the same JWT_SECRET as the gateway).
tokens: install
	@for role in operator verifier trainer agency admin; do echo "$$role: $$($(BIN)/pmi token $$role)"; done

bench: install
	$(BIN)/python -m bench.run

## The large fault-injection run (2,000 workers, about 20 minutes): restarts this machine's
## RabbitMQ and PostgreSQL (needs root).
reliability: install
	$(BIN)/python -m tests.reliability.run --workers 2000 --concurrency 32

clean:
	rm -rf var .pytest_cache
