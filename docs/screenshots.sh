#!/usr/bin/env bash
# Rewrite the README's screenshots (docs/screenshots/*.png) from the browser
# tests, which walk the real pages in Chromium; run after `bash .ci/test` has
# set up .venv, Chromium and the Nu HTML checker once.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f docs/screenshots/*.png
INTAKE_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest -q -p no:cacheprovider -n 2 tests/browser
ls docs/screenshots | wc -l
