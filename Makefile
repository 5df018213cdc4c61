# innolab — `make` lists the targets. Every target builds the environment it needs first.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# single-threaded BLAS: the machine has 2 cores and we parallelise across processes
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: help env data scores reports test bench lint lab clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-8s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (innolab)" >/dev/null
	$(BIN)/python -c "import matplotlib.pyplot"  # warm the font cache once
	touch $(STAMP)

env: $(STAMP) ## create .venv with innolab (editable), dev extras and the python3 Jupyter kernel

data: env ## build data/processed/ from data/raw/ (offline; demo data by default)
	$(BIN)/innolab data build

scores: data ## score the processed panel with the default framework (latest year with coverage)
	$(BIN)/innolab score --data data/processed/panel.parquet --framework digital_innovation \
	  --out data/processed/scores_digital_innovation.csv --ranks data/processed/ranks_digital_innovation.csv

reports: scores ## the main job: demo data -> scores -> country studies -> HTML in reports/
	$(BIN)/innolab reports

test: env ## run the test suite (unit, reference parity, notebooks)
	$(BIN)/python -m pytest -n 2 -q

bench: env ## run the benchmarks; each prints one JSON line per figure
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

lint: env ## ruff check and format check
	$(BIN)/ruff check innolab tests benchmarks
	$(BIN)/ruff format --check innolab tests benchmarks

lab: env ## open JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks/

clean: ## remove generated files (keeps data/raw and the environment)
	rm -rf data/processed/* reports/* .pytest_cache .ruff_cache .hypothesis
	git checkout -- data/processed/README.md reports/README.md 2>/dev/null || true
