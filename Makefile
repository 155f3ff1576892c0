# The two commands of the README: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
WEB_STAMP := src/rasd/web/static/vendor/.built-stamp

LOCALES := src/rasd/locale
CATALOGS := $(wildcard $(LOCALES)/*/LC_MESSAGES/rasd.po)

.PHONY: demo test install web browser loadgen lint typecheck pytest bench faults clean messages

demo: install web
	RASD_OFFLINE=true $(BIN)/rasd demo

test: install web browser lint typecheck pytest

install: $(STAMP) $(CATALOGS:.po=.mo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Each language's catalog (.po) is compiled into the .mo the server reads.
$(LOCALES)/%.mo: $(LOCALES)/%.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After adding or changing a message in the code or a template: gather every message into
# rasd.pot and bring each language's catalog up to date with it (docs/translating.md).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k plural:1,2 -k plural_in:1c,2,3 -k NC_:1c,2 -c TRANSLATORS: --add-location=file --sort-by-file \
		--project=Rasd --copyright-holder="Rasd contributors" -o $(LOCALES)/rasd.pot src
	$(BIN)/pybabel update -i $(LOCALES)/rasd.pot -d $(LOCALES) -D rasd --ignore-obsolete
	$(MAKE) install

# The front-end is built from npm packages at set-up; nothing is fetched at run time.
web: $(WEB_STAMP)

$(WEB_STAMP): web/package.json web/build.mjs $(shell find web/src -type f)
	cd web && (npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error)
	cd web && node build.mjs
	touch $@

# Browser tests drive Debian's Chromium; playwright never downloads a browser of its own.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

# The HTTP benchmarks drive wrk (Debian's); without it they fall back to a slower Python client.
loadgen:
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)

bench: install loadgen
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Faults under load, one table (bench/faults.py): kills, a full disk, slow and bad clients,
# floods, the API contract. Needs PostgreSQL's and nats-server's binaries; run as root for the
# full-disk row (a small tmpfs).
faults: install loadgen
	$(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) web/node_modules src/rasd/web/static/vendor var
