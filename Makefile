# The two set-up commands of README.md: `make study` and `make test`.
# Each installs what it needs (Python packages; graphviz from Debian when `dot` is missing).

PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install system-packages browser study test lint

system-packages:
	@command -v dot >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }

## Headless Chromium for the tests that look at maps.html and report.html as a person would.
browser:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

install: system-packages
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e ".[dev]"

## The main job: the whole study on the bundled sample, ending in outputs/study/report/report.html.
study: install
	$(PYTHON) -m l2csim study scenarios --out outputs/study

lint:
	$(PYTHON) -m ruff check src tests
	$(PYTHON) -m ruff format --check src tests

## The whole test suite, with lint; fails when any test fails or none ran.
test: install browser lint
	$(PYTHON) -m pytest
