# Two commands on a fresh machine:  `make run` (index corpus/, serve at http://127.0.0.1:7860)  and  `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
QUARRY := $(VENV)/bin/quarry
STAMP  := $(VENV)/.installed-stamp

.PHONY: install index run test test-fast browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,milvus,cluster]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(QUARRY) index corpus

run: index
	$(QUARRY) serve

# The browser test drives Debian's chromium (Playwright's own browser download does not work here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing chromium for the browser test"; \
	    $(SUDO) apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; } || \
	  echo "could not install chromium: the browser test skips locally and fails in CI (CI=true)"

test: install browser
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow and not browser"

clean:
	rm -rf .quarry
