# One entry point for people and CI. `make test` and `make plan` set everything
# up on a fresh Debian/Ubuntu machine: the virtualenv, the project with its test
# extras, and (when run as root) the DNS servers the lab needs and PostgreSQL.

VENV    ?= .venv
PYTHON  ?= python3
BIN      = $(VENV)/bin
DEBS     = knot knot-dnsutils unbound dnsperf postgresql
SPEC    ?= examples/migration.yaml

.PHONY: all plan demo test venv debs clean

all: test

$(BIN)/migrate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/migrate

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

test: venv debs
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
