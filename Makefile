# The two commands of the README:  make reproduce  and  make test.
# Both create .venv from the exact pins in requirements.lock on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CORES  ?= all
CONFIG ?= config/config.yaml
# test processes (pytest-xdist): one per core; TEST_WORKERS=0 runs the suite in one process
TEST_WORKERS ?= auto

.PHONY: setup browser reproduce test test-fast battery bench slurm-local slurm-check lock clean distclean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements.lock
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) --printshellcmds

test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

# Headless Chromium (Debian package) for the browser tests of the audit site (tests/test_audit_browser.py):
# installed with apt-get when missing and run as root; otherwise those tests skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium (Debian package) for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
	    >/dev/null 2>&1 || echo "chromium could not be installed: the browser tests will skip"; \
	else echo "no chromium and not root: the browser tests of the audit site will skip"; fi

# the bad-input and rerun battery alone, with its count by outcome class kept in bench/results
battery: $(STAMP)
	RELIABILITY_REPORT=bench/results/reliability_battery.md $(BIN)/python -m pytest tests/reliability -q

test-fast: $(STAMP) browser
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench

# A single-node SLURM on this machine (Debian/Ubuntu, root), and the local-vs-SLURM output comparison.
slurm-local:
	tools/slurm_local.sh start

slurm-check: $(STAMP)
	PYTHON=$(BIN)/python tools/slurm_compare.sh

# Re-pin the environment after changing pyproject.toml (run in a clean venv).
lock: $(STAMP)
	{ echo "# Exact pins of every package in the environment (direct and transitive)."; \
	  echo "# Regenerate with: make lock"; echo "setuptools==80.9.0"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -iE '^(setuptools|pip)=='; } > requirements.lock

clean:
	rm -rf data_clean/* paper/results paper/tables paper/figures paper/generated paper/audit logs .snakemake/log
	git checkout -- data_clean paper 2>/dev/null || true

distclean: clean
	rm -rf $(VENV) data_raw/demo
