# Two commands for a new user: `make run` (demo on SQLite) and `make test`.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)

.PHONY: run test lint format lock vendor clean bench backup restore schema

$(STAMP): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# On PostgreSQL (DATABASE_URL=postgres://SUPERUSER@.../db make run): the roles are made first,
# migrations and demo data run as the owner role, and the server as the app role, under
# row-level security (accounts/rls.py).
ifneq ($(filter postgres%,$(DATABASE_URL)),)
AS_OWNER := DATABASE_USER=portfolio_owner
AS_APP := DATABASE_USER=portfolio_app
ROLES := DEBUG=1 $(BIN)/python manage.py db_roles
else
ROLES := @true
endif

run: $(STAMP)
	$(ROLES)
	DEBUG=1 $(AS_OWNER) $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(AS_OWNER) $(BIN)/python manage.py load_demo_data
	@echo "Demo: two-factor set-up is not enforced for admins (ADMIN_MFA_REQUIRED=0); production enforces it."
	DEBUG=1 $(AS_APP) ADMIN_MFA_REQUIRED=0 $(BIN)/python manage.py runserver 127.0.0.1:8000

# The whole suite, with branch coverage. It fails under the floor in pyproject.toml (90 %), or
# under COVERAGE_FLOOR if set: CI, where nothing is skipped, holds the full run to a higher one.
# The single sign-on tests start a real OpenID Connect provider on Node.js (tests/sso_provider.py).
OIDC_PROVIDER := tests/oidc_provider/node_modules/.package-lock.json
$(OIDC_PROVIDER): tests/oidc_provider/package-lock.json
	npm ci --prefix tests/oidc_provider --no-audit --no-fund --loglevel=error

test: $(STAMP) $(OIDC_PROVIDER)
	$(BIN)/pytest --cov --cov-report=term:skip-covered $(if $(COVERAGE_FLOOR),--cov-fail-under=$(COVERAGE_FLOOR))

# Style, and the layers contract (import-linter): dependencies run one way.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks on PostgreSQL (DATABASE_URL); creates scale data once. See docs/performance.md.
bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.usage_import --rows 1000000
	$(BIN)/python -m bench.api --rows 1000000

# Back up DATABASE_URL (pg_dump -Fc) and the uploaded files into backups/, keeping the newest
# BACKUP_KEEP (14). Restore needs an explicit target, never DATABASE_URL. See docs/operations.md.
backup:
	scripts/backup.sh

restore:
	@test -n "$(DUMP)" -a -n "$(TARGET)" || { echo "usage: make restore DUMP=backups/portfolio-<stamp>.dump TARGET=postgres://user@host:5432/dbname [MEDIA_TARGET=dir]" >&2; exit 2; }
	scripts/restore.sh --target "$(TARGET)" "$(DUMP)" $(if $(MEDIA_TARGET),--media-root "$(MEDIA_TARGET)")

# The API's OpenAPI schema, committed; tests/test_api.py fails when it differs from the code.
schema: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn

# Re-pin dependencies after editing pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.12 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 -o requirements-dev.lock

# Refresh the vendored NHS.UK frontend and axe-core (needs npm; users never do).
vendor:
	scripts/refresh-vendor.sh

clean:
	rm -rf $(VENV) var staticfiles test-artifacts .coverage htmlcov
