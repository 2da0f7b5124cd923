# One command each to run, test, lint, evaluate and benchmark. Everything installs itself.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install lock run test lint format typecheck eval bench load clean train-triage

# Installs are reproducible: every package at the version in requirements.lock (made by pip-tools
# from pyproject.toml, dev extra included), then the project itself without resolving again.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed

lock:  ## re-resolve requirements.lock after changing pyproject.toml (keeps the torch==2.13.0 CPU pin)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q "pip-tools>=7.6"
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host --output-file requirements.lock pyproject.toml

run: install  ## index the knowledge if missing or stale, then serve on 127.0.0.1:8000
	$(BIN)/runsource ingest
	$(BIN)/runsource serve

test: install  ## the whole suite, including the evaluation gates
	$(PY) -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy

eval: install  ## all golden cases, with reports in build/eval/
	$(BIN)/runsource eval

bench: install  ## latency, throughput, ingest and memory against a plain LangChain RAG; worst-case turn times
	$(PY) -m benchmarks.run
	$(PY) -m benchmarks.stream
	$(PY) -m benchmarks.worst_case

load: install  ## 50 concurrent conversations on 2 workers, embedded and Chroma server + Redis (needs redis-server)
	$(PY) -m benchmarks.load

train-triage: install  ## rebuild the red-flag classifier from knowledge/red_flags/corpus (deterministic)
	$(PY) -m assistant.triage.train

clean:
	rm -rf .runsource build .pytest_cache .mypy_cache .ruff_cache
