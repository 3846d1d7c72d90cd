# ps_net: `make demo` and `make test` set up what is missing first (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
SHARED ?= $(abspath ../shared/data)
export PSNET_SHARED_DATA ?= $(SHARED)
PYTEST_ARGS ?=

.PHONY: setup test demo synthetic sheet clean-env help

help:
	@echo "make demo   - set up, then run the main job on the embedded synthetic data set"
	@echo "make test   - set up, then run the test suite"
	@echo "make setup  - build or reuse the environment (~/.cache/ps_net) and link it as .venv"

setup:
	@bash tools/setup_env.sh

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

demo: setup
	$(PY) tools/run_demo.py --work-dir work_dirs/demo

# Delete this clone's link to the environment (the cache under ~/.cache/ps_net stays).
clean-env:
	rm -f .venv
