"""`samen notify preview TEMPLATE --lang nl` renders a template with sample data."""

from typer.testing import CliRunner

from samen.cli import app

runner = CliRunner()


def test_preview_prints_the_dutch_text_of_a_template() -> None:
    result = runner.invoke(app, ["notify", "preview", "proposal", "--lang", "nl"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Subject: Kunt u helpen? Boodschappen")
    assert "https://samen.example/p/" in result.output


def test_preview_prints_the_english_html_of_a_template() -> None:
    result = runner.invoke(app, ["notify", "preview", "welcome", "--lang", "en", "--html"])
    assert result.exit_code == 0, result.output
    assert '<html lang="en">' in result.output


def test_preview_of_an_unknown_template_names_the_known_ones() -> None:
    result = runner.invoke(app, ["notify", "preview", "nope"])
    assert result.exit_code != 0
    assert "reminder" in result.output
