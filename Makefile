# The two set-up commands of README.md: `make study` and `make test`.
#
# Everything Python goes into a virtual environment, .venv (stock Debian 12 and Ubuntu 24
# refuse `pip install` into the system Python). Installing is done once and redone only
# when pyproject.toml changes (a stamp file in .venv records it), so a second `make study`
# starts the study at once. Missing system packages come from Debian (apt), as root or
# with sudo: graphviz (`dot`, for the maps), python3-venv (when `python3 -m venv` cannot
# make an environment), and for `make test` only, Chromium (the browser tests).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
# The stamps: l2csim installed (study), and with the test tools (test).
INSTALLED := $(VENV)/.installed
INSTALLED_DEV := $(VENV)/.installed-dev

.PHONY: install install-dev system-packages browser study test lint clean-venv

## Debian packages the study needs, installed only when missing.
system-packages:
	@command -v dot >/dev/null 2>&1 || { \
		echo "Installing graphviz (dot draws the process maps) ..."; \
		$(APT) update -qq && $(APT) install -y -q graphviz; }
	@$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || { \
		echo "Installing python3-venv (for the .venv environment) ..."; \
		$(APT) update -qq && $(APT) install -y -q python3-venv; }

## Headless Chromium for the tests that look at maps.html and report.html as a person would.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing chromium (for the browser tests) ..."; \
		$(APT) update -qq && $(APT) install -y -q chromium; }

$(PY): | system-packages
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "l2csim needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version)." >&2; \
		echo "Run make with PYTHON=python3.11 (or newer)." >&2; exit 1; }
	@echo "Creating the virtual environment $(VENV) ..."
	$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --disable-pip-version-check -q --upgrade pip

$(INSTALLED): pyproject.toml | $(PY)
	@echo "Installing l2csim and its dependencies into $(VENV) (the first time takes a few minutes) ..."
	$(PY) -m pip install --disable-pip-version-check --progress-bar on -e .
	@touch $@

$(INSTALLED_DEV): pyproject.toml | $(PY)
	@echo "Installing l2csim with the test tools into $(VENV) (the first time takes a few minutes) ..."
	$(PY) -m pip install --disable-pip-version-check --progress-bar on -e ".[dev]"
	@touch $(INSTALLED) $@

install: system-packages $(INSTALLED)

install-dev: system-packages $(INSTALLED_DEV)

## The main job: the whole study on the bundled sample, ending in outputs/study/report/report.html.
study: install
	$(PY) -m l2csim study scenarios --out outputs/study

lint: install-dev
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests

## The whole test suite, with lint; fails when any test fails or none ran.
test: install-dev browser lint
	$(PY) -m pytest

## Start again from nothing (the next make installs afresh).
clean-venv:
	rm -rf $(VENV)
