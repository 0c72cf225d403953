"""docs/clinical-rules.md is generated from the rule sets and must not go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from intake.screening import CITATIONS, CURRENT, FIRST
from intake.screening.docs import DEFAULT_PATH, main, render


def test_the_committed_document_is_what_the_rule_set_generates():
    assert DEFAULT_PATH.read_text(encoding="utf-8") == render(), (
        "docs/clinical-rules.md is stale: run python -m intake.screening.docs"
    )


def test_check_fails_on_a_stale_file_and_passes_on_a_fresh_one(tmp_path: Path, capsys):
    path = tmp_path / "clinical-rules.md"
    assert main(["--check", "--path", str(path)]) == 1  # missing counts as stale
    path.write_text(render().replace("precaution", "info", 1), encoding="utf-8")
    assert main(["--check", "--path", str(path)]) == 1
    assert "is stale" in capsys.readouterr().err
    assert main(["--path", str(path)]) == 0
    assert main(["--check", "--path", str(path)]) == 0


def test_the_command_runs_as_a_module_without_the_app(tmp_path: Path):
    path = tmp_path / "out.md"
    result = subprocess.run(
        [sys.executable, "-m", "intake.screening.docs", "--path", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "wrote" in result.stdout
    assert path.read_text(encoding="utf-8") == render()


def test_the_document_covers_every_question_rule_source_and_change():
    text = render()
    for q in CURRENT.questions:
        assert f"| `{q.id}` | {q.text} |" in text
    for rule in CURRENT.rules:
        assert f"### `{rule.code}` — {rule.severity.value}" in text
    for key in {k for r in CURRENT.rules for k in r.sources} - {"article"}:
        assert f"| {key} | {CITATIONS[key].label} |" in text
    assert f"since `{FIRST.version}`" in text
    assert "`GRANULOMA_HISTORY` info → precaution" in text
    assert "Questions retired (kept in the earlier set): `slow_healing`, `cancer_treatment`" in text
    assert "## Before clinical use: what a clinician must check" in text
    assert "**C13**" in text and "(not verified here)" in text
    # Nothing calls the guideline and the short review peer-reviewed evidence.
    c9 = next(line for line in text.splitlines() if line.startswith("| C9 |"))
    c10 = next(line for line in text.splitlines() if line.startswith("| C10 |"))
    assert "peer-reviewed" not in c9 and "peer-reviewed" not in c10
