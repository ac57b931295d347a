# Two commands on a fresh machine:  `make run` (index corpus/, serve)  and  `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
QUARRY := $(VENV)/bin/quarry
STAMP  := $(VENV)/.installed-stamp

.PHONY: install index run test test-fast clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(QUARRY) index corpus

run: index
	$(QUARRY) search "How many children came into care in Wrexham in 2009/10?" -k 3

test: install
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow and not browser"

clean:
	rm -rf .quarry
