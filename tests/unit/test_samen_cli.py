"""The `samen` command: its own commands and those the services bring."""

import subprocess
import sys

from typer.testing import CliRunner

from samen.cli import app

runner = CliRunner()


def test_the_help_lists_samen_s_commands_and_those_the_services_bring() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("up", "migrate", "health", "areas", "members", "matching", "notify", "admin"):
        assert command in result.output
    assert "plugin" in result.output


def test_a_service_s_command_group_keeps_its_sub_commands() -> None:
    result = runner.invoke(app, ["matching", "--help"])
    assert result.exit_code == 0, result.output
    assert "rebuild-read-model" in result.output


def test_an_unknown_command_is_refused_by_name() -> None:
    result = runner.invoke(app, ["nope"])
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.output


def test_samen_up_starts_without_importing_the_services() -> None:
    # Each service process imports its own code; the supervisor importing all four first took
    # seconds of `samen up`'s start-up on a small machine.
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from samen.cli import app\n"
        "assert CliRunner().invoke(app, ['up', '--help']).exit_code == 0\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('services.')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['gateway']", out.stdout  # its settings, for `samen config`
