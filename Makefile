# Common tasks. `make report` and `make test` work on a fresh clone (they set up .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Which report to build: `make draft SOURCES=sources-2024` for next year's.
SOURCES ?= sources

.PHONY: report web draft preview fetch publish check test seed-check bench golden clean system-check

report: $(INSTALLED)  ## Build build/jaarverslag-2023.pdf (report + annexes found in sources/annexes/)
	$(BIN)/kcvs-pdf build --sources $(SOURCES)

web: $(INSTALLED)  ## Build the web edition (no annexes, links to published URLs)
	$(BIN)/kcvs-pdf build --edition web --sources $(SOURCES)

draft: $(INSTALLED)  ## Build the draft for reviewers: watermarked, stamped, with the approval sheet
	$(BIN)/kcvs-pdf build --edition draft --sources $(SOURCES)

preview: $(INSTALLED)  ## Show the draft in the browser, updated on every save (Ctrl-C stops it; PORT=8800 for another port)
	$(BIN)/kcvs-pdf preview --sources $(SOURCES) $(if $(PORT),--port $(PORT))

fetch: $(INSTALLED)  ## Download the annex PDFs the sections link to into sources/annexes/ (see README)
	$(BIN)/kcvs-pdf fetch --sources $(SOURCES)

publish: $(INSTALLED)  ## Build both final editions and build/publish/, the folder the web team uploads
	$(BIN)/kcvs-pdf publish --sources $(SOURCES)

check: $(INSTALLED)  ## Report every problem in sources/ without rendering
	$(BIN)/kcvs-pdf check --sources $(SOURCES)

test: $(INSTALLED)  ## Run the test suite
	$(BIN)/python -m pytest

seed-check: $(INSTALLED)  ## Compare the 2023 sources with the published text in ../shared/seed/
	$(BIN)/python scripts/seed_check.py

# Options for bench.py, e.g. `make bench BENCH_ARGS="--runs 9 --scale-runs 5"`.
BENCH_ARGS ?=

bench: $(INSTALLED)  ## Measure against a bare weasyprint + qpdf baseline; update the figures in BENCHMARKS.md
	$(BIN)/python benchmarks/bench.py --update BENCHMARKS.md $(BENCH_ARGS)

golden: $(INSTALLED)  ## Regenerate the golden files in tests/golden/ after a reviewed change
	KCVS_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

$(INSTALLED): pyproject.toml
	@$(PYTHON) scripts/check_system.py || [ $$? -eq 3 ]
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

system-check:
	@$(PYTHON) scripts/check_system.py || [ $$? -eq 3 ]

clean:
	rm -rf build
