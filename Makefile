# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint typecheck unit integration lock clean translations

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment: on Debian/Ubuntu run 'apt-get install python3-venv'"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install  ## run the whole system on embedded defaults
	$(BIN)/samen up

demo: install  ## the same, with Utrecht demo data
	$(BIN)/samen up --demo

test: install lint typecheck  ## the whole suite: lint, types, unit, integration, end to end
	$(BIN)/pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests/unit

lock: install  ## refresh the pinned versions in constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade -e '.[dev]'
	{ echo "# Pinned versions of every dependency (pip install -c constraints.txt -e '.[dev]')."; \
	  echo "# Refresh with: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -vi '^samen'; } > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

translations: install  ## find every text in code and templates; update every catalogue
	$(BIN)/pybabel extract -F babel.cfg -k t -k translate --add-location=file --sort-output \
	  --no-wrap --project=Samen -o services/gateway/locale/messages.pot .
	$(BIN)/pybabel update -i services/gateway/locale/messages.pot -d services/gateway/locale \
	  --no-wrap --ignore-obsolete --no-fuzzy-matching
