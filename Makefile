# finalstage — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
FS     := $(VENV)/bin/finalstage

.PHONY: demo test install install-test system-deps bench fuzz clean

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

fuzz: install-test
	FINALSTAGE_FUZZ_EXAMPLES=20000 $(PY) -m pytest tests -m fuzz -p no:cacheprovider

clean:
	rm -rf $(VENV) build dist src/*.egg-info
