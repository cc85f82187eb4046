# Two entry points for a fresh machine with python3 and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean screenshots

$(STAMP): setup.py requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# A real OctoPrint on 127.0.0.1:5000 with the virtual printer and this plugin, pointed at a
# local webhook inbox on 127.0.0.1:8765 (see README).
run: $(STAMP)
	$(BIN)/python tools/run_dev.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/vermin --target=3.9- --violations --no-tips --eval-annotations --backport dataclasses octoprint_octorant tools tests bench setup.py

# The browser tests (tests/ui) drive Debian's chromium through Playwright, which never
# downloads a browser of its own here.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium

test: lint $(CHROMIUM)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .run build *.egg-info .pytest_cache .ruff_cache .hypothesis

# The settings page's screenshots in docs/ come from the browser tests.
screenshots: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q tests/ui
	mkdir -p docs/screenshots
	cp tests/ui/screenshots/tab-*.png tests/ui/screenshots/first-run.png tests/ui/screenshots/channel-added.png docs/screenshots/
