# The two commands: `make run` starts the dashboard on the bundled data, `make test` passes the tests.
# Every target sets up what it needs and is quick the second time.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8501
STORE  ?= $(or $(XZMAP_STORE),var/xiangzhou.gpkg)
VENDOR := dashboard/static/vendor/.installed

.PHONY: setup run test bench store assets fonts system-test-deps system-pg-deps system-nginx-deps pg pg-stop lint clean

setup: $(VENV)/.installed $(VENDOR) store fonts

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Front-end assets (Leaflet and friends) come from npm by package name, pinned in package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR): node_modules/.package-lock.json dashboard/assets.py $(VENV)/.installed
	$(BIN)/python -m dashboard.assets install
	touch $@

assets: $(VENDOR)

# Creates the store from the bundled data when it is absent; never overwrites.
store: $(VENV)/.installed
	XZMAP_STORE=$(STORE) $(BIN)/python -m loaders init

# `make run WORKERS=2` (more than 1): that many Streamlit processes behind nginx with sticky sessions, one per core
# (tools/serve.py; nginx is installed when missing). Without WORKERS, one Streamlit process as always.
ifeq ($(filter-out 0 1,$(WORKERS)),)
run: setup
	@XZMAP_STORE=$(STORE) $(BIN)/python -m loaders users hint || true
	XZMAP_STORE=$(STORE) $(BIN)/python -m streamlit run dashboard/app.py --server.address $(HOST) --server.port $(PORT)
else
run: setup system-nginx-deps
	@XZMAP_STORE=$(STORE) $(BIN)/python -m loaders users hint || true
	XZMAP_STORE=$(STORE) $(BIN)/python -m tools.serve --workers $(WORKERS) --host $(HOST) --port $(PORT)
endif

# Browser tests need Debian's Chromium and CJK fonts, the PostGIS tests (and `make pg`) PostgreSQL 15 with PostGIS,
# the several-workers test (and `make run WORKERS=2`) nginx;
# installed here when missing and running as root, in one apt-get call (`apt-get update` only then).
PG_PACKAGES = $(strip \
  $(if $(wildcard /usr/lib/postgresql/15/bin/initdb),,postgresql-15) \
  $(if $(wildcard /usr/share/postgresql/15/extension/postgis.control),,postgresql-15-postgis-3))
# nginx lives in /usr/sbin, which is not on a normal user's PATH.
NGINX_PACKAGES = $(if $(or $(shell command -v nginx),$(wildcard /usr/sbin/nginx)),,nginx-light)
SYSTEM_PACKAGES = $(strip \
  $(if $(shell command -v chromium),,chromium) \
  $(if $(shell fc-list 2>/dev/null | grep -i "noto.*cjk"),,fonts-noto-cjk) \
  $(PG_PACKAGES) $(NGINX_PACKAGES))

# $(call apt_install,PACKAGES,WHO): as root installs PACKAGES (if any); otherwise says what to install and fails.
define apt_install
	@if [ -n "$(1)" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages for $(2): $(1)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	  else \
	    echo "Debian packages missing for $(2): apt-get install $(1) (run as root, or ask an admin)"; exit 1; \
	  fi; \
	fi
endef

# The briefing (简报) is set in Noto Serif/Sans CJK SC from Debian's fonts-noto-cjk: installed here as root when
# missing; otherwise a note, because the dashboard runs without them (its briefing buttons then say what to install).
CJK_FONTS = $(if $(wildcard /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc),,fonts-noto-cjk)
fonts:
	@if [ -n "$(CJK_FONTS)" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages for the briefing: $(CJK_FONTS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CJK_FONTS) >/dev/null; \
	  else \
	    echo "简报需要中文字体：请以 root 运行 make fonts，或请管理员执行 apt-get install $(CJK_FONTS)"; \
	  fi; \
	fi

system-test-deps:
	$(call apt_install,$(SYSTEM_PACKAGES),the tests)

system-pg-deps:
	$(call apt_install,$(PG_PACKAGES),a PostGIS server)

system-nginx-deps:
	$(call apt_install,$(NGINX_PACKAGES),several workers behind nginx)

# A local throw-away PostGIS for trying the PostGIS engine (tools/pgserver.py, the same server the tests start):
# prints the XZMAP_STORE to use with `make run`. Its data stays in var/pg; `make pg` again restarts it (also after a
# crash), `make pg-stop` stops it. PGPORT=5434 make pg when 5433 is taken.
pg: $(VENV)/.installed system-pg-deps
	@$(BIN)/python -m tools.pgserver start var/pg --port $(or $(PGPORT),5433)

pg-stop: $(VENV)/.installed
	@$(BIN)/python -m tools.pgserver stop var/pg

lint: $(VENV)/.dev-installed
	$(BIN)/python -m ruff check .

test: setup $(VENV)/.dev-installed system-test-deps lint
	$(BIN)/python -m pytest

bench: setup $(VENV)/.dev-installed system-test-deps
	$(BIN)/python -m benchmarks --load

clean:
	rm -rf $(VENV) node_modules dashboard/static/vendor tests/artifacts
