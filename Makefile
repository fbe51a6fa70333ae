# colorlab: two commands do everything.
#   make workbook   install what the workbook needs, run every notebook, print the run folder
#   make test       install the dev tools, run every test (unit tests, then the notebooks under nbval)
#   make lab        open the notebooks in JupyterLab, in the same environment
#
# Python: the active environment (conda or venv) when there is one, else ./.venv (created here).
# PyTorch: TORCH is what pip installs when torch is not importable yet. The default pin takes the
# CPU wheel that lies on the course machines' disk; on a GPU box use e.g.
#   make workbook TORCH='torch>=2.2'      (or install torch yourself first: it is then left alone)
# PROFILE picks the workbook profile: auto (default), smoke, cpu or gpu.

TORCH   ?= torch==2.13.0
PROFILE ?= auto
OUT     ?=

# Idle OpenMP threads sleep instead of spinning: with a notebook kernel beside the process that
# runs it, spinning threads fight over a 2-core CPU (measured: a forward pass 2 s instead of 0.4 s).
export OMP_WAIT_POLICY ?= PASSIVE

ifneq ($(strip $(VIRTUAL_ENV)$(CONDA_PREFIX)),)
PY := python
STAMP_DIR := build
else
PY := .venv/bin/python
STAMP_DIR := .venv
endif

.PHONY: workbook test lab install install-dev install-sandbox bench clean browser-test

workbook: $(STAMP_DIR)/.installed-run
	$(PY) -m colorlab workbook --profile $(PROFILE) $(if $(OUT),--out $(OUT))

test: $(STAMP_DIR)/.installed-dev install-sandbox
	$(PY) -m pytest tests -q
	$(PY) tests/prepare_nbval.py build/nbval
	$(PY) -m pytest --nbval-lax -p no:cacheprovider build/nbval -q

# JupyterLab on the notebooks; no news pop-up, no update check (the course machines are offline)
lab: $(STAMP_DIR)/.installed-run
	$(PY) -m jupyter lab --ServerApp.root_dir=notebooks --LabApp.news_url=None \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
		$(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP_DIR)/.installed-dev
	$(PY) -m colorlab bench

# The widgets in a real browser (tests/browser) alone: JupyterLab driven through Debian's Chromium
# by playwright-python. Installs Chromium (apt, when /usr/bin/chromium is missing and we are root;
# else says what to run) and playwright; never `playwright install` (the test uses the system
# Chromium). Here a missing browser fails the test; `make test` skips it and says so.
browser-test: $(STAMP_DIR)/.installed-dev
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || exit 1; \
	  else \
	    echo "Chromium is missing: run  sudo apt-get install -y chromium  then make browser-test"; \
	    exit 1; \
	  fi; \
	fi
	$(PY) -c "import playwright.sync_api" 2>/dev/null || $(PY) -m pip install -q playwright
	COLORLAB_REQUIRE_BROWSER=1 $(PY) -m pytest tests/browser -q -rs

install: $(STAMP_DIR)/.installed-run
install-dev: $(STAMP_DIR)/.installed-dev

.venv/bin/python:
	python3 -m venv .venv
	.venv/bin/python -m pip install -q --upgrade pip

$(STAMP_DIR)/.installed-run: pyproject.toml | $(if $(filter .venv,$(STAMP_DIR)),.venv/bin/python)
	@mkdir -p $(STAMP_DIR)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e .
	@touch $@

$(STAMP_DIR)/.installed-dev: pyproject.toml | $(if $(filter .venv,$(STAMP_DIR)),.venv/bin/python)
	@mkdir -p $(STAMP_DIR)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	@touch $@ $(STAMP_DIR)/.installed-run

# The sandbox `grade` runs each submission in (bubblewrap): installed as root when it is missing,
# else we say what to run (the grading tests then skip, saying why).
install-sandbox:
	@if ! command -v bwrap >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y bubblewrap || exit 1; \
	  else \
	    echo "bubblewrap (the grading sandbox) is missing: run  sudo apt-get install -y bubblewrap"; \
	  fi; \
	fi

clean:
	rm -rf build .pytest_cache
