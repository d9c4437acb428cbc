"""How a `samen` command fails: one line on stderr, a documented exit code, no traceback
(unless SAMEN_TRACEBACK=1), and within seconds when NATS does not answer."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from samen import failures
from samen.nats_server import free_port
from tests.conftest import REPO


def samen(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMEN_", "NATS_"))}
    full_env.update({"SAMEN_DATA_DIR": str(tmp_path / "var"), "SAMEN_LOG_LEVEL": "WARNING"})
    full_env.update(env)
    # The timeout only keeps a hanging command from hanging the suite (it used to retry NATS
    # for minutes).
    return subprocess.run(
        [sys.executable, "-m", "samen", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "command",
    [
        ["provision"],
        ["health", "registry"],
        ["admin", "create", "--email", "a@example.org", "--role", "admin"],
        ["matching", "rebuild-read-model"],
        ["plugin", "provision", "--cooperative", "buurt", "--name", "board", "--area", "WK034403"],
        ["up"],
    ],
    ids=lambda command: command[0],
)
def test_a_command_on_a_nats_that_does_not_answer_stops_with_one_line_and_3(
    command: list[str], tmp_path: Path
) -> None:
    nowhere = f"nats://127.0.0.1:{free_port()}"
    result = samen(*command, tmp_path=tmp_path, NATS_URL=nowhere)
    assert result.returncode == failures.UNREACHABLE, result.stderr
    assert "Traceback" not in result.stderr
    line = last_line(result.stderr)
    assert line.startswith(f"samen {command[0]}: NATS does not answer at {nowhere}"), line
    assert "connection refused" in line


def test_an_unexpected_failure_is_one_line_and_1_and_the_traceback_is_there_when_asked(
    tmp_path: Path,
) -> None:
    result = samen("migrate", tmp_path=tmp_path, SAMEN_DATABASE_URL="no-such-url")
    assert result.returncode == failures.FAILED, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "samen migrate: ArgumentError: Could not parse SQLAlchemy URL from given URL string "
        "(SAMEN_TRACEBACK=1 shows where)"
    ]
    shown = samen(
        "migrate", tmp_path=tmp_path, SAMEN_DATABASE_URL="no-such-url", SAMEN_TRACEBACK="1"
    )
    assert shown.returncode == failures.FAILED
    assert "Traceback (most recent call last)" in shown.stderr
    assert last_line(shown.stderr).startswith("samen migrate: ArgumentError")


def test_a_refusal_of_the_domain_is_one_line_on_stderr_and_1(tmp_path: Path) -> None:
    result = samen(
        "cooperative",
        "add",
        "buurt-nergens",
        "--name",
        "Nergens",
        "--area",
        "WK999999",
        tmp_path=tmp_path,
    )
    assert result.returncode == failures.FAILED, result.stderr
    assert "Traceback" not in result.stderr
    assert last_line(result.stderr).startswith("samen cooperative: "), result.stderr
    assert "✗" not in result.stdout  # the failure is on stderr, apart from the output


def test_bad_usage_is_typer_s_2_and_the_help_names_the_exit_codes(tmp_path: Path) -> None:
    assert samen("provision", "--nope", tmp_path=tmp_path).returncode == failures.USAGE
    helped = samen("--help", tmp_path=tmp_path, COLUMNS="200")
    assert "Exit codes: 0 done; 1 the command failed" in helped.stdout
    assert "3 NATS, a database or a service does not answer" in helped.stdout


def test_a_database_that_does_not_answer_is_3() -> None:
    code, line = failures.judge(ConnectionRefusedError(111, "Connect call failed"))
    assert code == failures.UNREACHABLE
    assert line.startswith("cannot connect")
