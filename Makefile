# Two commands on a fresh machine: `make demo` and `make test`.
# Each builds .venv when missing (or when the pins changed) and is a no-op otherwise.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: venv test lint typecheck pytest demo bench model clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip==26.3
	@# torch first, from the recipe in DEVELOPERS.md (a local CUDA build of 2.14.1).
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

test: lint typecheck pytest

# Until `dredge run` and a trained default model land (issues 4 and 7), the demo generates the
# synthetic world and shows its truth.
demo: $(STAMP)
	@echo "dredge demo: the one-command run (issue 7) and a trained default model (issue 4) are not"
	@echo "ready yet. For now this generates the synthetic world they will run on, and its truth."
	$(BIN)/dredge synth --out demo-output/world --seed 1 --size small --overwrite
	@echo "Truth counts (demo-output/world/truth/counts.csv):"
	@cat demo-output/world/truth/counts.csv
	@echo "Quicklooks: demo-output/world/quicklooks/"

# Train the default model on synthetic worlds (seeds 101+) and install it in detector/weights/.
# On CPU this takes hours for a useful model; use a GPU (--device cuda) where there is one.
model: $(STAMP)
	$(BIN)/dredge train --recipe default --out runs/default --install --overwrite

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean-venv:
	rm -rf $(VENV)
