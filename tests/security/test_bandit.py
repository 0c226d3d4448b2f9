"""`bandit -r statuspage` finds no medium or high issue that is not explained (`# nosec Bxxx: why`) at its line."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bandit() -> list[str]:
    exe = shutil.which("bandit", path=str(Path(sys.executable).parent)) or shutil.which("bandit")
    if exe is None:
        pytest.skip("bandit is not installed (requirements-dev.txt)")
    return [exe]


def test_no_unexplained_medium_or_high_findings():
    proc = subprocess.run([*_bandit(), "-r", "statuspage", "-ll", "-f", "json", "-q"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stdout)
    found = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert found == [], "\n".join(found)


def test_every_nosec_says_why():
    bare = []
    for path in (ROOT / "statuspage").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "# nosec" in line and not re.search(r"# nosec B\d{3}: \S", line):
                bare.append(f"{path.relative_to(ROOT)}:{number}")
    assert bare == []
