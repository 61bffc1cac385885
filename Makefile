# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app matchmaker
REQ_HASH := $(shell cat requirements.txt 2>/dev/null | md5sum | cut -c1-10)
STAMP := $(VENV)/.installed-$(REQ_HASH)
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/matchmaker_test
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: venv db run test test-pg bench clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

# Create or upgrade the database, load seed_data/ and build the indexes (`verify --fix`
# builds what is missing or stale and leaves up-to-date indexes alone, so reruns are quick).
db: venv
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) index verify --fix

run: db
	$(FLASK) run --host 127.0.0.1 --port 5000

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && { echo "no tests ran"; exit 1; }; exit $$rc

test-pg: venv
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m matchmaker.bench

clean:
	rm -rf $(VENV) instance indexes/*.faiss indexes/*.json indexes/*.bm25*
