# ps_net: `make demo` and `make test` set up what is missing first (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
SHARED ?= $(abspath ../shared/data)
export PSNET_SHARED_DATA ?= $(SHARED)
PYTEST_ARGS ?=

.PHONY: setup test demo table real-table soak synthetic sheet clean-env help

help:
	@echo "make demo   - set up, then run the main job on the embedded synthetic data set"
	@echo "make test   - set up, then run the test suite"
	@echo "make setup  - build or reuse the environment (~/.cache/ps_net) and link it as .venv"
	@echo "make table  - train and test every row of the comparison table (SEEDS=3 by default)"
	@echo "make real-table - the real-photo table from ../shared/data (SEEDS=3 by default)"
	@echo "make soak   - the gallery index soak: 100k garments, 100k queries, memory + eq. 1 check"

setup:
	@bash tools/setup_env.sh

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

demo: setup
	$(PY) tools/run_demo.py --work-dir work_dirs/demo

# The comparison table (tools/make_table.py): every row trained and tested per seed, written to
# work_dirs/table_synthetic/{table.json,table.md,lambda.json}; `make table SEEDS=1` for one seed.
SEEDS ?= 3
table: setup
	@[ -f data/synthetic/annotations/pf_test.json ] || $(PY) tools/run_demo.py --skip-training
	$(PY) tools/make_table.py --work-dir work_dirs/table_synthetic \
		--seeds $$(seq -s ' ' 0 $$(($(SEEDS) - 1)))

# The real-photo table (tools/make_real_table.py): the benchmark built from
# $(SHARED)/clothing-small/train into data/photo_benchmark if missing, then every row trained and
# tested per seed into work_dirs/table_real/{table.json,table.md,timings.json}.
real-table: setup
	$(PY) tools/make_real_table.py --work-dir work_dirs/table_real \
		--images $(SHARED)/clothing-small/train --seeds $$(seq -s ' ' 0 $$(($(SEEDS) - 1))) \
		--splits test test_seen test_unseen

# The gallery index soak (tools/analysis_tools/soak_index.py, docs/soak.md): 100k garments
# answering 100k queries in batches; resident memory may grow < 5 % from the load to the end and
# a sample of 500 answers must equal brute-force eq. 1. One thread; exits 1 on a failure.
soak: setup
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
		$(PY) tools/analysis_tools/soak_index.py --out work_dirs/soak/soak.json

# Delete this clone's link to the environment (the cache under ~/.cache/ps_net stays).
clean-env:
	rm -f .venv
