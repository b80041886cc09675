# Two commands do all the set-up: `make demo` and `make test`. Both create .venv and install into it once;
# a stamp file makes the second run skip pip entirely.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: demo test test-llm bench train-default clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $@

# torch first and alone: the pinned 2.13.0 is a CPU build on this disk; resolving it later could pull CUDA.
$(VENV)/.test-installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev,train]'
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/aoi demo

test: $(VENV)/.test-installed
	$(BIN)/ruff check aoi tests benchmarks
	AOI_NOTEBOOK_MODEL=scripted $(BIN)/pytest -m "not gpu and not live and not llm" -p no:cacheprovider --nbmake tests notebooks

# The embedded model end to end (slow: minutes); not part of `make test`.
test-llm: $(VENV)/.test-installed
	AOI_NOTEBOOK_MODEL=embedded $(BIN)/pytest -m llm -p no:cacheprovider tests
	AOI_NOTEBOOK_MODEL=embedded $(BIN)/pytest -p no:cacheprovider --nbmake --nbmake-timeout=1800 notebooks/01-quickstart.ipynb

bench: $(VENV)/.demo-installed
	$(BIN)/python benchmarks/sim_speed.py

# The shipped default adapter, reproduced from nothing on this CPU (hours; resumable): see aoi/models/MODEL_CARD.md.
train-default: $(VENV)/.test-installed
	BIN=$(BIN) bash benchmarks/train_default.sh

# The GPU training stack (Unsloth) in its own venv: `bash benchmarks/gpu_train.sh EXPORT_DIR` creates it too.
.venv-gpu/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-gpu
	.venv-gpu/bin/python -m pip install -q --disable-pip-version-check -e '.[gpu]'
	touch $@

clean:
	rm -rf $(VENV)
