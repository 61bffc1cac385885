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
MATCHMAKER_WORKERS ?= 3
export MATCHMAKER_WORKERS

.PHONY: venv venv-dev db run dev worker test test-pg bench lint clean

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

# Create or upgrade the database, load seed_data/ and build the indexes: first drain what the
# change log still holds (a crash before the worker got to it), then `verify --fix` builds what
# is missing or stale and leaves up-to-date indexes alone, so reruns are quick.
db: venv
	@echo "==> [1/3] 数据库迁移"
	@$(FLASK) db upgrade
	@echo "==> [2/3] 载入演示数据"
	@$(FLASK) seed
	@echo "==> [3/3] 建立/校验索引（先补处理上次停机前未完成的索引变更）"
	@$(FLASK) worker --once
	@$(FLASK) index verify --fix

# Production serving: gunicorn (MATCHMAKER_WORKERS web processes) plus the background worker,
# started together by honcho from the Procfile; Ctrl-C stops both. It serves plain HTTP on
# loopback, so the Secure cookie flag is off unless set; behind an HTTPS proxy set it to 1.
run: db
	@echo "==> 启动 gunicorn（$(MATCHMAKER_WORKERS) 个 web 进程，http://127.0.0.1:5000）与后台 worker；Ctrl-C 同时停止"
	@MATCHMAKER_JOBS=worker MATCHMAKER_SECURE_COOKIES=$${MATCHMAKER_SECURE_COOKIES:-0} $(BIN)/honcho -f Procfile start

# Development: the single-process Flask server; indexing and proposals run inline after each commit.
dev: db
	MATCHMAKER_ENV=development MATCHMAKER_JOBS=inline $(FLASK) run --host 127.0.0.1 --port 5000 --debug

worker: venv
	MATCHMAKER_JOBS=worker $(FLASK) worker

test: venv-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && { echo "no tests ran"; exit 1; }; exit $$rc

test-pg: venv-dev
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv-dev
	$(BIN)/python -m matchmaker.bench

clean:
	rm -rf $(VENV) instance indexes/*.faiss indexes/*.json indexes/*.bm25*
