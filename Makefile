# Two commands on a fresh machine: `make demo` and `make test`.
# Each builds .venv when missing (or when the pins changed) and is a no-op otherwise.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: venv test lint typecheck pytest browser demo bench model clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip==26.3
	@# torch first (a CUDA build of 2.14.1), then the package with its pins.
	$(PIP) install -q -c requirements/constraints.txt torch==2.14.1 torchvision==0.29.1
	$(PIP) install -q -c requirements/constraints.txt -e '.[dev]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check detector training tests benchmarks
	$(BIN)/ruff format --check detector training tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck browser pytest

# The synthetic demo world (seed 1, never trained on), `dredge run` on it with the bundled
# model, and the yearly counts next to the truth. Report: demo-output/run/report.html.
demo: $(STAMP)
	$(BIN)/dredge demo --out demo-output --overwrite

# Debian's chromium for the report's browser test (tests/test_run.py skips without it).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get install -y -q chromium >/dev/null 2>&1 \
		    || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) \
		|| echo "chromium not installed: the report's browser test will be skipped"; }

# Train the default model on synthetic worlds (seeds 101+) and install it in detector/weights/.
# About 2 h 40 min on 2 CPU cores (four stages; the card records the run); --device cuda where there is a GPU.
model: $(STAMP)
	$(BIN)/dredge train --recipe default --out runs/default --install --overwrite

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean-venv:
	rm -rf $(VENV)
