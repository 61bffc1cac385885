# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app matchmaker
REQ_HASH := $(shell cat requirements.txt 2>/dev/null | md5sum | cut -c1-10)
DEV_HASH := $(shell cat requirements.txt requirements-dev.txt 2>/dev/null | md5sum | cut -c1-10)
STAMP := $(VENV)/.installed-run-$(REQ_HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(DEV_HASH)
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/matchmaker_test
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: venv venv-dev db run test test-pg bench clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-run-* $(VENV)/.installed-[0-9a-f]*
	@touch $@

# Test tools (pytest, Playwright, ruff, schemathesis, locust) on top of the runtime set.
$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

venv: $(STAMP)
venv-dev: $(DEV_STAMP)

# Create or upgrade the database, load seed_data/ and build the indexes (`verify --fix`
# builds what is missing or stale and leaves up-to-date indexes alone, so reruns are quick).
db: venv
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) index verify --fix

run: db
	MATCHMAKER_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: venv-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && { echo "no tests ran"; exit 1; }; exit $$rc

test-pg: venv-dev
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv-dev
	$(BIN)/python -m matchmaker.bench

clean:
	rm -rf $(VENV) instance indexes/*.faiss indexes/*.json indexes/*.bm25*
