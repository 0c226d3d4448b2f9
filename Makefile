# `make run` and `make test` are all the set-up there is: .venv is built from
# requirements.txt on first use and rebuilt when requirements.txt changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test demo worker celery translations lint clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $(STAMP)

translations: $(STAMP)
	@if [ -d translations ]; then $(BIN)/pybabel compile -q -f -d translations 2>/dev/null || $(BIN)/pybabel compile -f -d translations; fi

run: $(STAMP) translations
	$(FLASK) run

test: $(STAMP) translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP) translations
	$(FLASK) demo

worker: $(STAMP)
	$(FLASK) deliver

celery: $(STAMP)
	$(BIN)/celery -A statuspage.tasks worker --loglevel=INFO

clean:
	rm -rf $(VENV) .pytest_cache
