# Two commands for a fresh Debian/Ubuntu machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch pinned: 2.13.0 is the CPU build here; an unpinned torch pulls multi-GB CUDA packages.
TORCH  := torch==2.13.0

.PHONY: run test setup bench screenshots clean

run: setup                       ## set up (once) and launch the app
	@if [ "$$(uname)" = Linux ] && [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	    echo "make run: no display (DISPLAY and WAYLAND_DISPLAY are unset); on a headless machine: xvfb-run -a make run" >&2; \
	    exit 1; fi
	$(BIN)/energy-workbench

test: setup                      ## set up (once) and run the whole test suite headless (Xvfb)
	PYTHON=$(PYTHON) bash scripts/system-deps.sh --test
	$(BIN)/python -m pytest -n 2   # two workers (pytest-xdist): the suite fits the 10-minute budget on 2 cores

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	PYTHON=$(PYTHON) bash scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

bench: setup                     ## sampler benchmark against torchebm and BlackJAX
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[bench]"
	$(BIN)/python benchmarks/samplers.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
