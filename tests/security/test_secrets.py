"""No default secrets: the key that signs accept/decline links and CSRF tokens is never one
anybody could know, and it can be rotated without breaking what is already out there.

- `samen up` makes a random key in its data folder (0600) and reuses it;
- in production (SAMEN_ENV=production or an https public URL) no service starts on a missing,
  published or short key, nor on an example NATS, database or SMTP password, and a real
  process says so in one line;
- docker-compose.yml has no default for any secret, and the Kubernetes examples are refused;
- a key being rotated out (SAMEN_SECRET_KEY_PREVIOUS) still verifies links and CSRF tokens,
  while everything new is signed with the current key only.
"""

# The gateway fixtures come from its integration harness, imported below.
# ruff: noqa: F811

import os
import re
import secrets
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from samen import keyfile
from samen.supervisor import Supervisor
from services.gateway.bootstrap import Gateway
from services.gateway.security import CSRF_COOKIE, CSRF_HEADER, csrf_token
from services.notify.bootstrap import assemble
from services.notify.domain.links import LinkClaim, LinkError, LinkSigner
from shared import credentials
from shared.credentials import UnsafeCredentials
from shared.settings import Settings
from tests.conftest import REPO
from tests.integration.gateway.conftest import (  # noqa: F401
    PASSWORD,
    RunningGateway,
    gateway_clock,
    gateway_options,
    rpc_timeout,
    running_gateway,
)
from tests.integration.test_compose import MissingVariable, compose, interpolate

CURRENT = secrets.token_urlsafe(48)
PREVIOUS = secrets.token_urlsafe(48)
UNKNOWN = secrets.token_urlsafe(48)
# What deploy/kubernetes/secrets.example.yaml still held before it was filled in, and the
# defaults Samen itself once had.
WEAK_KEYS = [
    "change-me-in-production",
    "change-me-to-a-long-random-string",
    "secret",
    "replace-me-with-32-or-more-random-characters",
    "x7Kp2mWq9sLd4fHj8rTn1bVc6yGe0aU",  # random, but too short (31 characters)
]


def production(**changes: Any) -> Settings:
    return Settings(env="production", **changes)


# ------------------------------------------------------------ samen up keeps its own key


def test_samen_up_makes_a_private_key_file_and_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAMEN_SECRET_KEY", raising=False)
    data = tmp_path / "data"

    def key_given_to_the_services() -> set[str]:
        supervisor = Supervisor(data_dir=data, http_port=1, nats_url="nats://127.0.0.1:1")
        return {child.env["SAMEN_SECRET_KEY"] for child in supervisor._children("nats://x")}

    (first,) = key_given_to_the_services()
    path = data / keyfile.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first
    assert not credentials.weak_key(first)
    # The next start finds it and hands out the same key: links already sent keep working.
    assert key_given_to_the_services() == {first}
    assert [p.name for p in data.iterdir()] == [keyfile.KEY_FILE]  # nothing half-written left
    # A key set by the operator wins over the file.
    monkeypatch.setenv("SAMEN_SECRET_KEY", CURRENT)
    assert key_given_to_the_services() == {CURRENT}


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / keyfile.KEY_FILE
    key = keyfile.load_or_create(path)
    assert keyfile.load_or_create(path) == key
    path.chmod(0o644)
    with pytest.raises(UnsafeCredentials, match="chmod 600"):
        keyfile.load_or_create(path)


# ------------------------------------------------------------ production refuses weak keys


@pytest.mark.parametrize("key", [None, *WEAK_KEYS])
def test_production_refuses_a_missing_or_published_key(key: str | None, tmp_path: Path) -> None:
    given = {} if key is None else {"secret_key": key}  # None: nothing set, whatever the default
    settings = production(database_url=f"sqlite+aiosqlite:///{tmp_path}/g.db", **given)
    (problem,) = credentials.problems(settings, needs_secret_key=True)
    assert "SAMEN_SECRET_KEY" in problem
    assert key is None or len(key) < 10 or key not in problem  # never the value itself
    # The services' own start-up runs the check before anything connects.
    with pytest.raises(UnsafeCredentials):
        Gateway(settings)
    with pytest.raises(UnsafeCredentials):
        assemble(settings)
    # A service that holds no key may do without one, but never with a published one.
    assert credentials.problems(production(), needs_secret_key=False) == []
    if key is not None:
        assert credentials.problems(settings, needs_secret_key=False)


def test_production_starts_with_a_random_key() -> None:
    assert credentials.problems(production(secret_key=CURRENT), needs_secret_key=True) == []


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_an_https_public_url_counts_as_production(key: str) -> None:
    on_https = Settings(env="development", public_url="https://samen.example", secret_key=key)
    assert credentials.problems(on_https, needs_secret_key=True)
    # On a developer's own machine (plain http) a short key is allowed...
    local = Settings(env="development", public_url="http://127.0.0.1:8000", secret_key=key)
    assert credentials.problems(local, needs_secret_key=True) == []
    # ... but no key at all is not, for a service that signs with it.
    assert credentials.problems(Settings(env="development"), needs_secret_key=True)


def test_a_published_previous_key_is_refused_in_production() -> None:
    settings = production(secret_key=CURRENT, secret_key_previous=f"{PREVIOUS},secret")
    (problem,) = credentials.problems(settings, needs_secret_key=True)
    assert "SAMEN_SECRET_KEY_PREVIOUS" in problem


def service_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMEN_", "NATS_"))}
    # Nothing listens there: a service that got past its check would hang, not exit.
    return {**env, "NATS_URL": "nats://127.0.0.1:9", "PYTHONPATH": str(REPO), **extra}


@pytest.mark.parametrize("service", ["notify", "gateway"])
def test_a_service_started_in_production_without_a_key_exits_with_one_line(
    service: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        env=service_env(SAMEN_ENV="production", SAMEN_DATA_DIR=str(tmp_path)),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"samen {service}: refusing to start: SAMEN_SECRET_KEY is not set")
    assert "Traceback" not in result.stderr


def test_a_service_started_on_an_https_url_with_the_old_default_exits(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.registry"],
        env=service_env(
            SAMEN_PUBLIC_URL="https://samen.example",
            SAMEN_SECRET_KEY="change-me-in-production",
            SAMEN_DATA_DIR=str(tmp_path),
        ),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "refusing to start: SAMEN_SECRET_KEY is a published or short value" in result.stderr
    assert "change-me-in-production" not in result.stderr


# ------------------------------------------------------------ deployment files


SECRET_VARIABLE = re.compile(r"\$\{(\w*(?:SECRET|PASSWORD|KEY)\w*)(:-|:\?|-|\?)?([^}]*)\}")


def test_the_compose_file_has_no_default_for_any_secret() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    used = SECRET_VARIABLE.findall(text)
    assert {name for name, _, _ in used} >= {"SAMEN_SECRET_KEY", "POSTGRES_PASSWORD"}
    for name, operator, argument in used:
        if name == "SAMEN_SECRET_KEY_PREVIOUS":
            assert operator == ":-" and argument == "", "no previous key unless one is given"
        else:
            assert operator == ":?", f"{name} must be required (${{{name}:?...}}), not defaulted"
    # No secret is written into the file as a value either.
    services = compose()["services"]
    for name, service in services.items():
        environment = service.get("environment", {})
        for variable in ("SAMEN_SECRET_KEY", "POSTGRES_PASSWORD", "SAMEN_NATS_PASSWORD"):
            value = str(environment.get(variable, "${}"))
            assert value.startswith("${"), (name, variable)
    # Compose stops with the message rather than start without them.
    for name in ("postgres", "notify", "gateway", "registry"):
        environment = services[name]["environment"]
        with pytest.raises(MissingVariable):
            for value in environment.values():
                interpolate(str(value), {})
    # Only the services that sign with the key hold it.
    holders = {n for n, s in services.items() if "SAMEN_SECRET_KEY" in s.get("environment", {})}
    assert holders == {"notify", "gateway"}


def example_secrets() -> dict[str, dict[str, str]]:
    documents = yaml.safe_load_all((REPO / "deploy/kubernetes/secrets.example.yaml").read_text())
    return {doc["metadata"]["name"]: doc["stringData"] for doc in documents if doc}


def dev_env() -> dict[str, str]:
    lines = (REPO / "deploy/nats/dev.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_example_secrets_are_refused_in_production() -> None:
    examples = example_secrets()
    app = examples["samen-app"]
    settings = production(secret_key=app["SAMEN_SECRET_KEY"])
    smtp = {"SAMEN_SMTP_URL": app["SAMEN_SMTP_URL"]}  # notify's own setting
    found = credentials.problems(settings, needs_secret_key=True, urls=smtp)
    assert any("SAMEN_SECRET_KEY" in p for p in found)
    assert any("SAMEN_SMTP_URL" in p for p in found)
    for url in examples["samen-database"].values():
        found = credentials.problems(production(database_url=url), needs_secret_key=False)
        assert any("SAMEN_DATABASE_URL" in p for p in found), url
    for password in [*examples["samen-nats"].values(), *dev_env().values()]:
        settings = production(nats_user="registry", nats_password=password)
        assert credentials.problems(settings, needs_secret_key=False), password
    # A real password is fine.
    real = production(nats_user="registry", nats_password="s" + secrets.token_hex(24))
    assert credentials.problems(real, needs_secret_key=False) == []


# ------------------------------------------------------------ rotation: links

MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLAIM = LinkClaim(
    link_id="link-1",
    proposal_id="proposal-1",
    request_id="request-1",
    volunteer_id="volunteer-1",
    action="accept",
    expires_at=MORNING + timedelta(days=2),
)


def test_a_link_signed_with_a_previous_key_still_verifies(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        secret_key=CURRENT,
        secret_key_previous=PREVIOUS,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/notify.db",
        data_dir=tmp_path,
        public_url="https://samen.example",
    )
    signer = assemble(settings).signer  # what the notify service signs and reads with
    mailed_before = LinkSigner(PREVIOUS, settings.public_url).token(CLAIM)
    assert signer.read(mailed_before, now=MORNING) == CLAIM
    with pytest.raises(LinkError) as caught:
        signer.read(LinkSigner(UNKNOWN, settings.public_url).token(CLAIM), now=MORNING)
    assert caught.value.reason == "bad_signature"
    # A new link is signed with the current key only: it outlives the previous key.
    new = signer.token(CLAIM)
    assert LinkSigner(CURRENT, settings.public_url).read(new, now=MORNING) == CLAIM
    with pytest.raises(LinkError):
        LinkSigner(PREVIOUS, settings.public_url).read(new, now=MORNING)


# ------------------------------------------------------------ rotation: CSRF


@pytest.fixture
def settings_for(settings_for: Callable[[str], Settings]) -> Callable[[str], Settings]:
    """The gateway runs on CURRENT, with PREVIOUS being rotated out."""

    def make(service: str) -> Settings:
        return settings_for(service).model_copy(
            update={"secret_key": CURRENT, "secret_key_previous": PREVIOUS}
        )

    return make


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


async def test_csrf_tokens_made_under_a_previous_key_are_still_accepted(
    running_gateway: RunningGateway,
) -> None:
    email = "rotation@example.nl"
    async with running_gateway.client(headers={"Accept": "text/html"}) as browser:
        await running_gateway.register(browser, email)
        page = await browser.get("/login")
        cookie = browser.cookies[CSRF_COOKIE]
        # The page was rendered with the current key only...
        assert form_token(page.text) == csrf_token(CURRENT, cookie)
        form = {"email": email, "password": PASSWORD, "next": "/"}
        # ... a form rendered before the rotation (under the previous key) still goes through,
        # one under a key the gateway never had does not.
        foreign = await browser.post(
            "/login", data={**form, "csrf_token": csrf_token(UNKNOWN, cookie)}
        )
        assert foreign.status_code == 403
        old = await browser.post(
            "/login", data={**form, "csrf_token": csrf_token(PREVIOUS, cookie)}
        )
        assert old.status_code == 303

    async with running_gateway.client() as app:
        login = await app.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200
        secret = app.cookies[CSRF_COOKIE]
        assert login.json()["csrf_token"] == csrf_token(CURRENT, secret)
        # Signing out is a change, so a cookie-signed call needs the header's token.
        refused = await app.post(
            "/api/v1/auth/logout", headers={CSRF_HEADER: csrf_token(UNKNOWN, secret)}
        )
        assert refused.status_code == 403
        accepted = await app.post(
            "/api/v1/auth/logout", headers={CSRF_HEADER: csrf_token(PREVIOUS, secret)}
        )
        assert accepted.status_code == 204, accepted.text
