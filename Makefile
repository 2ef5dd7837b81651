# The two commands the README promises: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser run test fuzz screenshots lint vectors bench soak clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e clients/python -e '.[dev]'
	touch $@

install: $(STAMP)

# Debian's Chromium for the end-to-end test (Playwright drives it), and a CJK font so its screenshots
# of the Chinese pages (docs/images/) show characters, not boxes; installed when missing and apt-get
# can run, otherwise that test is skipped (and fails under CI=true).
browser:
	@{ command -v chromium >/dev/null || command -v chromium-browser >/dev/null; } && \
	  fc-list :lang=zh 2>/dev/null | grep -q . || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    (apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1)); } || \
	  echo "note: Chromium is not installed; the browser test will be skipped"

# The server, with `federation tick` (deadlines, appeal matching, expiry, webhooks) every minute beside it.
run: install
	$(BIN)/federation db upgrade
	$(BIN)/federation warninglists defaults
	$(BIN)/federation demo
	$(BIN)/federation tick --every 60 & tick=$$!; trap 'kill $$tick' EXIT INT TERM; \
	  $(BIN)/federation serve --bind 127.0.0.1:8000

test: install browser
	$(BIN)/python -m pytest

# Schemathesis over every operation on both backends, far longer than the few examples `make test`
# runs (tests/api/test_fuzz.py), with a fresh seed each run. FUZZ_EXAMPLES=1000 for a night.
FUZZ_EXAMPLES ?= 200
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/api/test_fuzz.py -q -s

# Retake the appeal pages' screenshots docs/disputes.md shows (docs/images/), after changing the pages.
screenshots: install browser
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/web/test_browser.py -k sqlite

lint: install
	$(BIN)/ruff check federation clients tests migrations bench
	$(BIN)/ruff format --check federation clients tests migrations bench

vectors: install
	$(BIN)/python clients/test-vectors/generate.py

clean:
	rm -rf $(VENV) instance/federation.db*

bench: install
	$(BIN)/python -m bench.run

# gunicorn on a throw-away PostgreSQL cluster under concurrent clients, a worker SIGKILLed and the
# database restarted; fails if anything acknowledged was lost (bench/soak.py). `make test` runs 20 s of it.
SOAK_SECONDS ?= 60
soak: install
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS)
