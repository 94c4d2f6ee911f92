# `make run`  : set up everything, build the index of seeds/, answer a question, open the chat page
# `make test` : set up everything and run the whole test suite (unit, integration, browser)
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1
export TOKENIZERS_PARALLELISM = false
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

# llama.cpp is compiled for a fixed, widely available x86-64 instruction set (AVX2, FMA, F16C,
# BMI2), not for the build machine's CPU (`-march=native` picks up AVX-512 and AMX, whose
# kernels crash on some CPUs and whose wheel, reused from a cache, dies with an illegal
# instruction on older ones). scripts/llama_wheel.sh keeps one wheel per version and flag set.
LLAMA_CPP_VERSION = 0.3.36
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

.PHONY: run test install browser clean-index

run: install
	$(BIN)/rag index seeds/
	$(BIN)/rag doctor
	$(BIN)/rag ask "Who led the US delegation at the Geneva talks?"
	$(BIN)/rag ui

test: install browser
	$(BIN)/python -m pytest -q -ra

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile scripts/llama_wheel.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	scripts/llama_wheel.sh $(BIN)/pip $(LLAMA_CPP_VERSION) "$(LLAMA_CMAKE_ARGS)"
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean-index:
	rm -rf index/default
