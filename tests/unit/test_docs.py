"""Docs that must match the code."""

import ast
import re
import subprocess
from pathlib import Path
from typing import get_args

from samen.cli import configuration_markdown
from shared.contracts.matching import REQUEST_STATES, EscalationReason
from shared.events import EVENT_TYPES

REPO = Path(__file__).resolve().parents[2]
DESIGN = REPO / "docs/design.md"
# Written in pieces, so that this file does not name them itself.
OUTSIDE = [piece.encode() for piece in ("DESIGN" + ".md", "SCENARIOS" + ".md", ".." + "/shared")]


def test_configuration_doc_lists_every_setting() -> None:
    documented = (REPO / "docs/configuration.md").read_text()
    assert documented == configuration_markdown(), (
        "docs/configuration.md is out of date: "
        "run `samen config --markdown > docs/configuration.md`"
    )


def test_readme_gives_the_two_quick_start_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci/run").read_text()


def tracked_files() -> list[Path]:
    """What git tracks or would: the files that go into a commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return [REPO / name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_points_at_documents_outside_the_repo() -> None:
    """The repo is read on its own: the design and its journeys are in docs/design.md."""
    files = tracked_files()
    assert DESIGN in files
    mentions = [
        f"{path.relative_to(REPO)}: {piece.decode()}"
        for path in files
        if path.is_file()
        for piece in OUTSIDE
        if piece in path.read_bytes()
    ]
    assert not mentions, "point at docs/design.md instead:\n" + "\n".join(mentions)


def test_the_design_names_every_event_state_and_escalation_reason() -> None:
    design = DESIGN.read_text()
    named = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", design))
    assert set(EVENT_TYPES) - named == set()
    assert set(REQUEST_STATES) - named == set()
    assert set(get_args(EscalationReason)) - named == set()


def test_every_test_the_design_points_at_exists() -> None:
    design = DESIGN.read_text()
    pointers = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", design)
    assert len(pointers) >= 10
    for file, test in pointers:
        path = REPO / file
        assert path.is_file(), file
        if test:
            tree = ast.parse(path.read_text())
            defined = {
                node.name
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            assert test in defined, f"{file}::{test}"


def test_the_readme_and_the_architecture_link_the_design() -> None:
    assert "(docs/design.md)" in (REPO / "README.md").read_text()
    assert "(design.md)" in (REPO / "docs/architecture.md").read_text()
