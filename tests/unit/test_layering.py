"""The layering is kept by a tool: the import contracts in pyproject.toml ([tool.importlinter])
hold for the code as it is, and each kind of break is caught: the same contracts are run over a
copy of the code with one forbidden import written into it."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "shared", "samen")

if importlib.util.find_spec("importlinter") is None:
    # Without it the contracts would go unchecked in silence: CI installs the dev extras.
    if os.environ.get("CI"):
        pytest.fail("import-linter is not installed: run `make install`", pytrace=False)
    pytest.skip("import-linter is not installed: run `make install`", allow_module_level=True)


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's config, on the packages found in `root`."""
    run = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(**{}))"
    options = {"config_filename": str(root / "pyproject.toml"), "no_cache": True, "no_logo": True}
    return subprocess.run(
        [sys.executable, "-c", run.format(options)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_of_the_code(to: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", to / "pyproject.toml")
    return to


def test_the_code_keeps_every_layering_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "services/registry/service_layer/members.py",
            "import services.matching.domain.model",
            "Services never import each other",
        ),
        (
            "shared/events.py",
            "import services.notify.domain.model",
            "shared imports no service",
        ),
        (
            "services/notify/adapters/repository.py",
            "import services.notify.service_layer.delivery",
            "Each service is layered: entrypoints > service_layer > adapters > domain",
        ),
        (
            "services/matching/domain/rules.py",
            "import sqlalchemy",
            "The domain does no I/O",
        ),
        (
            "services/registry/domain/members.py",
            "import shared.uow",
            "The domain does no I/O",
        ),
        (
            "services/matching/service_layer/usecases.py",
            "import sqlalchemy",
            "Use cases and domains build no SQL and touch no bus (matching, registry)",
        ),
        (
            "services/matching/service_layer/privacy.py",
            "from services.matching.adapters.orm import requests",
            "Use cases and domains build no SQL and touch no bus (matching, registry)",
        ),
        (
            "shared/events.py",
            "import shared.service",
            "shared: the contract room imports nothing of the runtime room",
        ),
        (
            "services/registry/service_layer/members.py",
            "from sqlalchemy.exc import IntegrityError",
            "Use cases and domains build no SQL and touch no bus (matching, registry)",
        ),
        (
            "services/registry/service_layer/volunteers.py",
            "from services.registry.adapters.volunteer_profiles import split_list",
            "The registry's service layer does not import its adapters",
        ),
        (
            "services/matching/entrypoints/timers.py",
            "import services.matching.adapters.orm",
            "Entrypoints do not reach into adapters",
        ),
        (
            "services/notify/service_layer/delivery/deliver.py",
            "import nats",
            "The layers reach the bus only through shared",
        ),
        (
            "services/gateway/usecases/requests.py",
            "import services.gateway.deps",  # FastAPI, by way of deps
            "The gateway's use cases know nothing of HTTP",
        ),
        (
            "services/notify/service_layer/recording.py",
            "from services.notify.adapters.repository import NotificationRepository",
            "Notify's use cases import no adapter, no SQL and no bus",
        ),
        (
            "services/notify/service_layer/delivery/compose.py",
            "from sqlalchemy.engine import RowMapping",
            "Notify's use cases import no adapter, no SQL and no bus",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    root = copy_of_the_code(tmp_path)
    with (root / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{line}\n")

    result = lint_imports(root)

    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout, result.stdout + result.stderr


def test_every_module_of_shared_is_in_one_of_its_two_rooms() -> None:
    """A new module of shared/ is put in the contract room or the runtime room (the contract in
    pyproject.toml), so the rule that the contract imports no runtime covers it too."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [rooms] = [c for c in contracts["contracts"] if c["name"].startswith("shared: the contract")]
    contract, runtime = set(rooms["source_modules"]), set(rooms["forbidden_modules"])
    assert not contract & runtime
    modules = {
        f"shared.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "shared").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert modules == contract | runtime
