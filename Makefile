# finalstage — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
FS     := $(VENV)/bin/finalstage

.PHONY: demo test install install-test system-deps bench fuzz dist clean clean-test-images

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Debian packages the image tests need (buildah, podman, skopeo, docker-registry, ...).
system-deps:
	bash scripts/system-deps.sh

demo: install
	bash scripts/demo.sh $(FS)

test: install-test system-deps
	$(PY) -m pytest

bench: install system-deps
	bash bench/run.sh

# Long fuzzing runs (make test runs the same properties briefly): hypothesis with many examples,
# the whole hostile corpus through the CLI in every format, and atheris on the tar reader.
FUZZ_SECONDS ?= 300
fuzz: install-test
	$(PIP) install -q -e '.[test,fuzz]'
	FINALSTAGE_FUZZ_EXAMPLES=20000 $(PY) -m pytest tests -m fuzz -p no:cacheprovider
	FINALSTAGE_HOSTILE_CLI_ALL=1 $(PY) -m pytest tests/hostile -p no:cacheprovider
	mkdir -p $${TMPDIR:-/tmp}/finalstage-atheris-corpus
	$(PY) tests/fuzz/atheris_tar.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	  -artifact_prefix=$${TMPDIR:-/tmp}/ $${TMPDIR:-/tmp}/finalstage-atheris-corpus

# The wheel and the source distribution (tests, docs and examples included) in dist/:
# `pip install dist/finalstage-*.whl` installs finalstage anywhere, with no index entry needed.
dist: install-test
	rm -rf dist
	$(PY) -m build --outdir dist .

clean:
	rm -rf $(VENV) build dist src/*.egg-info

# What the tests left in containers-storage (localhost/finalstage-test/*) and the build cache
# (tests/harness/README.md, "Cleaning up").
clean-test-images:
	$(PYTHON) tests/harness/build.py clean
