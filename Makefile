# Lightblog: `make run` starts everything on embedded defaults, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

# The servers `make test-services` and CI use, all on 127.0.0.1 (docs/testing.md).
SERVICES_DATABASE_URL ?= mysql://root@127.0.0.1:3306/test
SERVICES_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672//
SERVICES_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run seed bench bench-backlog bench-sink bench-render test test-services lint migrate superuser worker beat web clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per requirements set: reinstall only when a requirements file changes.
$(VENV)/.local: $(BIN)/python requirements/base.txt requirements/local.txt
	$(BIN)/pip install --quiet -r requirements/local.txt
	touch $@

$(VENV)/.test: $(BIN)/python requirements/base.txt requirements/local.txt requirements/test.txt
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@

$(VENV)/.production: $(BIN)/python requirements/base.txt requirements/production.txt
	$(BIN)/pip install --quiet -r requirements/production.txt
	touch $@

migrate: $(VENV)/.local
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py setup_periodic_tasks

# Demo users, posts, tags and comments; idempotent (passwords are printed once).
seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	@echo
	@echo "  Lightblog: http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/)"
	@echo "  web + worker + beat below; Ctrl-C stops all three."
	@echo "  metrics: http://127.0.0.1:8000/metrics  (docs/monitoring.md)"
	@echo
	rm -rf var/metrics && mkdir -p var/metrics
	PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/metrics $(BIN)/python -m config.procfile

web worker beat: migrate
	$(BIN)/python -m config.procfile $@

# The translation catalogues (docs/i18n.md): extract every marked string into
# <app>/locale/{zh_Hans,en}, then compile them; both are committed. Needs GNU gettext
# (apt-get install gettext).
MESSAGES_IGNORE := --ignore tests --ignore bench --ignore .venv --ignore var --ignore staticfiles --ignore '*/migrations/*'
messages: $(VENV)/.test
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemessages -l zh_Hans -l en --no-location --no-obsolete $(MESSAGES_IGNORE)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py compilemessages --ignore .venv

superuser: migrate
	$(BIN)/python manage.py createsuperuser

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/lint-imports

test: lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/pytest

# The same suite against MariaDB and RabbitMQ, then the worker tests again on Redis.
test-services: $(VENV)/.test $(VENV)/.production
	CI=$${CI:-true} DATABASE_URL=$(SERVICES_DATABASE_URL) CELERY_BROKER_URL=$(SERVICES_AMQP_URL) \
		$(BIN)/pytest --create-db
	CI=$${CI:-true} DATABASE_URL=$(SERVICES_DATABASE_URL) CELERY_BROKER_URL=$(SERVICES_REDIS_URL) \
		$(BIN)/pytest --create-db -m worker

$(VENV)/.bench: $(VENV)/.test $(VENV)/.production requirements/bench.txt
	$(BIN)/pip install --quiet -r requirements/bench.txt
	touch $@

SMTP_SINK := var/postfix/usr/sbin/smtp-sink

# The benchmarks of bench/ (not part of `make test`): they need MariaDB, RabbitMQ and
# Redis, append to bench/results.md and redraw bench/results.png.
bench: $(VENV)/.bench $(SMTP_SINK)
	$(BIN)/python -m bench.run

bench-backlog: $(VENV)/.bench
	$(BIN)/python -m bench.run backlog

# Benchmark 6 on Postfix's smtp-sink, with the bare sender's limit row (issue #18).
bench-sink: $(VENV)/.bench $(SMTP_SINK)
	$(BIN)/python -m bench.run backlog-sink

# Postfix's smtp-sink, taken out of Debian's package: no mail server is installed or
# started, and no root is needed (`apt-get update` first if apt has no package lists).
$(SMTP_SINK):
	mkdir -p var/postfix/deb
	cd var/postfix/deb && rm -f postfix_*.deb && apt-get download postfix
	dpkg -x var/postfix/deb/postfix_*.deb var/postfix
	test -x $@ && touch $@

# The worst Markdown inputs, before (Python-Markdown) and after (the budget): issue #19.
bench-render: $(VENV)/.bench
	$(BIN)/python -m bench.run render

clean:
	rm -rf $(VENV) var staticfiles
