# `make run` and `make test` are all the set-up there is: .venv is built on first
# use and brought up to date when a requirements file changes. `make run` needs
# only requirements.txt (the service); `make test` adds requirements-dev.txt
# (pytest, Playwright, schemathesis, ...) to the same .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test demo worker celery translations messages screenshots lint clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements.txt requirements-dev.txt requirements-compat.txt
	$(PIP) -r requirements-dev.txt
	$(PIP) --no-deps -r requirements-compat.txt
	@touch $(DEV_STAMP)

# .po -> .mo (the .mo files are build output, never committed; create_app also
# compiles them when missing). Fuzzy entries are left out: unchecked text is worse than English.
translations: $(STAMP)
	@if [ -d translations ]; then $(BIN)/pybabel -q compile -d translations; fi

# After adding or changing strings: refresh the catalogues, then translate the new
# empty msgstr entries in translations/zh_Hans/LC_MESSAGES/messages.po.
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file --add-location=file -w 100 -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations -w 100 --no-fuzzy-matching --ignore-obsolete

# Retake docs/screenshots/*.png from the demo data in headless Chromium (needs /usr/bin/chromium).
screenshots: $(DEV_STAMP) translations
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser/test_screenshots.py

run: $(STAMP) translations
	$(FLASK) run

test: $(DEV_STAMP) translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP) translations
	$(FLASK) demo

worker: $(STAMP)
	$(FLASK) deliver

celery: $(STAMP)
	$(BIN)/celery -A statuspage.tasks worker --loglevel=INFO

clean:
	rm -rf $(VENV) .pytest_cache
