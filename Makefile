# The two commands a new machine needs: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test drills bench lint install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run web + worker + cron with a demo shop (SQLite and an embedded Redis unless
## STOREFLOW_DATABASE_URL / STOREFLOW_REDIS_URL say otherwise).
run: $(STAMP)
	$(BIN)/python -m app.demo.dev

## Run the tests (PostgreSQL and Redis on 127.0.0.1 when reachable, else SQLite + embedded Redis).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The drills (tests/drills) at full size: real worker and cron processes, hundreds of mails.
## `make test` runs them too, at a small size.
drills: $(STAMP)
	STOREFLOW_DRILL_SIZE=full $(BIN)/python -m pytest tests/drills $(PYTEST_ARGS)

## Every benchmark, then one table of the goals (BENCH_SCALE=small for a smoke run; the
## database server and Redis from STOREFLOW_BENCH_DATABASE_URL / STOREFLOW_BENCH_REDIS_URL).
bench: $(STAMP)
	BENCH_SCALE=$${BENCH_SCALE:-full} PYTHONPATH=.:bench $(BIN)/python bench/run_all.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy app

clean:
	rm -rf $(VENV) instance/*.db storeflow.egg-info
