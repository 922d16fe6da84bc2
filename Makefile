# matcher — the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
PO := $(wildcard matcher/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
PORT ?= 5000
# Links in the demo's mails point at the port it serves on, unless set (environment or `make`).
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: install demo serve test lint format i18n-extract bench clean

install: $(STAMP) $(MO)

# Everything pinned in requirements.lock; the project itself installed editable on top.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

# Catalogs are compiled by the build, never committed.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

demo: install
	$(FLASK) db upgrade
	$(FLASK) demo-data
	$(FLASK) demo-logins
	@echo "Serving on http://127.0.0.1:$(PORT); mails are shown here, not sent  (Ctrl+C stops all)"
	@export MAIL_BACKEND=console PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)'; \
	$(FLASK) outbox work & worker=$$!; \
	$(FLASK) jobs work & jobs=$$!; \
	trap 'kill -TERM $$worker $$jobs 2>/dev/null; wait $$worker $$jobs' EXIT; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After changing user-facing strings: extract them and merge into the catalogs, one per
# language of matcher.domain.locales.VOLUNTEER_LANGUAGES (created when missing) except the
# msgids' own English. German needs every msgid; the other languages those volunteers read
# (matcher/volunteer_texts.py); tests/i18n/test_catalogues.py checks both.
i18n-extract: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o matcher/translations/messages.pot matcher
	@for lang in $$($(BIN)/python -c 'from matcher.domain.locales import SOURCE_LANGUAGE as s, \
			VOLUNTEER_LANGUAGES as v; print(*(c for c in v if c != s))'); do \
		test -f matcher/translations/$$lang/LC_MESSAGES/messages.po || \
		$(BIN)/pybabel -q init -i matcher/translations/messages.pot -d matcher/translations \
			-l $$lang --width 100 || exit 1; \
	done
	$(BIN)/pybabel -q update -i matcher/translations/messages.pot -d matcher/translations \
		--no-fuzzy-matching --width 100

bench: install
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) $(MO) .mypy_cache .ruff_cache
