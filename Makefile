# The two quick-start commands:  `make run`  and  `make test`.
# Debian's CPython 3.11 is built with profile-guided optimisation and LTO: it runs the
# simulator 15-20 % faster than a plain source build such as pyenv's (README, Speed). Use
# it when the machine has it with venv support; `make PY=python3 ...` picks another.
PY      ?= $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' 2>/dev/null \
             && echo /usr/bin/python3.11 || echo python3)
VENV    ?= .venv
BIN     := $(VENV)/bin
HOST    ?= 127.0.0.1
PORT    ?= 8000
# kubectl's HTTPS endpoint (the simulations' Kubernetes API), on the same Daphne
TLS_PORT ?= 8443
# Daphne also refuses to *send* WebSocket messages over its 1 MiB default; a snapshot of a
# simulation with a few hundred pods is larger (1,000 pods: about 7 MB).
WS_MAX_BYTES ?= 67108864
# make run-cluster: nginx's loopback port and the Daphnes behind it
CLUSTER_PORT ?= 8080
DAPHNES ?= 2
DEBIAN_PACKAGES := chromium redis-server postgresql nginx

.PHONY: packages setup system-deps run run-cluster test test-fast bench frontend

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

packages: $(BIN)/python  ## Python packages into .venv
	$(BIN)/pip install -q -e '.[dev]'

setup: packages  ## Python packages, database, demo data, the local certificates of kubectl's endpoint
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demos --if-empty
	@$(BIN)/python manage.py tls_certificate --port $(TLS_PORT) --host $(HOST) >/dev/null

# Installing postgresql and nginx starts no service where policy-rc.d forbids it (containers);
# elsewhere Debian starts its own cluster on 5432 and nginx on 80, which nothing here uses.
system-deps:  ## Debian packages of the browser, multi-process and cluster tests (root)
	@command -v chromium >/dev/null && command -v redis-server >/dev/null && test -x /usr/sbin/nginx \
	  && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES); }

run: setup  ## one Daphne (the page on http://HOST:PORT, kubectl's API on https://HOST:TLS_PORT), SQLite
	@$(BIN)/python manage.py operator_link --base http://$(HOST):$(PORT)
	KUBERNETES_TLS_PORT=$(TLS_PORT) $(BIN)/daphne -e tcp:port=$(PORT):interface=$(HOST):backlog=1024 \
	  -e "$$($(BIN)/python manage.py tls_certificate --port $(TLS_PORT) --host $(HOST))" \
	  --websocket-max-message-size $(WS_MAX_BYTES) rolloutviz.asgi:application

run-cluster: system-deps packages  ## PostgreSQL + Redis + $(DAPHNES) Daphnes + runclock + nginx on loopback, data in .cluster/
	$(BIN)/python -m rolloutviz.local_cluster --port $(CLUSTER_PORT) --daphnes $(DAPHNES)

test: system-deps setup  ## the whole suite: simulator, web app, websockets, redis, browser
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not browser and not redis and not postgres and not nginx"

bench: setup
	$(BIN)/python -m simulator.bench
	$(BIN)/python -m rolloutviz.bench
	$(BIN)/python -m rolloutviz.bench clocks
	$(BIN)/python -m rolloutviz.bench abuse
	$(BIN)/python -m rolloutviz.bench fanout
	$(BIN)/python -m rolloutviz.bench reads
	$(BIN)/python -m rolloutviz.bench seek

frontend:  ## rebuild the committed bundle (needs Node; not needed to run)
	cd frontend && npm ci && npm run build
