# Newcomers: `make demo` then `make test`. Both set everything up on first use.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sgfb-installed
PYTEST_ARGS ?=
# pytest-xdist processes; most tests run torch on one thread, so 2 use both cores of a 2-core box
TEST_WORKERS ?= 2

.PHONY: setup sysdeps test test-slow demo bench clean

setup: $(STAMP)

# Re-runs only when the lock file or setup.py change; otherwise a no-op. A VENV that holds
# another checkout's editable install is not silently re-pointed (FORCE_VENV=1 does it).
$(STAMP): requirements.lock setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -n "$(FORCE_VENV)" || $(PY) -I scripts/check_venv.py $(CURDIR)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# System tools the tests compare against (ffmpeg); installed only when missing.
sysdeps:
	@bash scripts/install_sysdeps.sh

test: setup sysdeps
	$(PY) -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Wall-clock bounds only mean something on an otherwise idle machine: those tests run alone.
test-slow: setup sysdeps
	$(PY) -m pytest -q -n $(TEST_WORKERS) -m "slow and not timing" $(PYTEST_ARGS)
	$(PY) -m pytest -q -m "slow and timing" $(PYTEST_ARGS)

demo: setup
	$(PY) tools/demo.py --out demo_output

bench: setup sysdeps
	$(PY) bench/dump_frames.py
	$(PY) bench/stsgn.py
	$(PY) bench/sg_recall.py
	test -f demo_output/sgfb/model.pt || $(MAKE) demo
	$(PY) bench/infer.py

clean:
	rm -rf demo_output .pytest_cache
