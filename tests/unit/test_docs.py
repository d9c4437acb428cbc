"""Docs that must match the code."""

from pathlib import Path

from samen.cli import configuration_markdown

REPO = Path(__file__).resolve().parents[2]


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
