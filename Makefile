# `make run`  : set up everything, build the index of seeds/, answer a question, open the chat page
# `make test` : set up everything and run the whole test suite (unit, integration, browser)
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1
export TOKENIZERS_PARALLELISM = false
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

.PHONY: run test install browser clean-index

run: install
	$(BIN)/rag index seeds/
	$(BIN)/rag ask "Who led the US delegation at the Geneva talks?"
	$(BIN)/rag ui

test: install browser
	$(BIN)/python -m pytest -q -ra

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean-index:
	rm -rf index/default
