"""The README is the newcomer's map: it names every command and every setting."""

from __future__ import annotations

from pathlib import Path

from rag.cli import build_parser
from rag.settings import documented_settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_commands_first():
    assert README.index("make run") < README.index("## ") or README.index("make run") < 1500
    assert "make test" in README


def test_readme_names_every_cli_command():
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = [name for name in sub.choices if f"rag {name}" not in README]
    assert not missing, f"README does not show: {missing}"


def test_readme_documents_every_setting():
    missing = [name for name, _, _ in documented_settings() if name not in README]
    assert not missing, f"README does not document: {missing}"
