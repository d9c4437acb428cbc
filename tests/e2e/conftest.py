"""Browser tests: real Chromium (Debian's `chromium` package) driven by Python playwright.

`playwright install` needs the internet; these tests use the system's Chromium instead and are
skipped, saying so, where it is not installed (`apt-get install -y chromium`).
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from tests.conftest import REPO
from tests.support import wait_until

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
PASSWORD = "een goed wachtwoord"
# Phone widths in CSS px: the narrowest phones (also a 1280 px screen at 400 % zoom), and a
# common one.
PHONE_WIDTHS = (320, 390)


class System(Protocol):
    """What these helpers need of a running system: `samen up` (RunningSystem), or the
    services in this process on a frozen clock."""

    @property
    def url(self) -> str: ...
    @property
    def nats_url(self) -> str: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def env(self) -> dict[str, str]: ...


def chromium_path() -> str | None:
    if path := os.environ.get("SAMEN_CHROMIUM"):
        return path if os.path.exists(path) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "browser tests need Chromium: install Debian's package (apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def assert_accessible(page: Any) -> None:
    """axe-core finds no WCAG 2.1 A or AA violation, of any impact, on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        },
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in results.response["violations"]
    ]
    assert not bad, f"{page.url}: " + "; ".join(bad)


def caught_up(system: System, *services: str) -> None:
    """Wait until the services' durable consumers have taken every event published so far
    (matching learns of volunteers from the registry's events, a moment later)."""
    import asyncio

    import nats

    from shared.streams import consumers_of
    from shared.subjects import EVENTS_STREAM

    async def pending() -> int:
        client = await nats.connect(system.nats_url)
        try:
            js = client.jetstream()
            total = 0
            for service in services:
                for spec in consumers_of(service):
                    info = await js.consumer_info(EVENTS_STREAM, spec.durable)
                    total += (info.num_pending or 0) + (info.num_ack_pending or 0)
            return total
        finally:
            await client.close()

    def settled() -> bool:
        # A thread of its own: playwright's sync API keeps an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, pending()).result() == 0

    wait_until(settled, timeout=30, message="consumers lag behind")


class Api:
    """The REST API of the running system, for the steps a test does not do in the browser."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.http = httpx.Client(base_url=system.url, timeout=15)

    def register(
        self,
        email: str,
        postcode: str,
        house_number: str,
        *,
        matching_consent: bool = True,
        **extra: Any,
    ) -> str:
        """Register and log in; the member agrees to matching (the registration page's box)
        unless told otherwise, since without it no request of theirs is matched by itself."""
        response = self.http.post(
            "/api/v1/auth/register",
            json={
                "name": extra.pop("name", "Test Persoon"),
                "email": email,
                "password": PASSWORD,
                "postcode": postcode,
                "house_number": house_number,
                "matching": matching_consent,
                **extra,
            },
        )
        assert response.status_code == 202, response.text
        # The answer names no member (it is the same for a taken address): log in to know.
        with httpx.Client(base_url=self.system.url, timeout=15) as fresh:  # keeps no cookie
            login = fresh.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200, login.text
        return str(login.json()["member_id"])

    def volunteer(
        self, email: str, house_number: str, *, name: str, category: str
    ) -> dict[str, str]:
        """A volunteer in Overvecht for one kind of help, any time, whom matching knows of:
        registered, signed in (their headers returned), their profile saved."""
        self.register(email, "3561 AB", house_number, name=name, volunteer=True)
        headers = self.login(email)
        profile = self.http.put(
            "/api/v1/volunteers/me",
            json={"categories": [category], "flexible": True, "radius_km": 5},
            headers=headers,
        )
        assert profile.status_code == 200, profile.text
        caught_up(self.system, "matching")
        return headers

    def login(self, email: str) -> dict[str, str]:
        response = self.http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def admin_create(self, email: str, role: str, cooperative: str | None = None) -> None:
        args = [sys.executable, "-m", "samen", "admin", "create", "--email", email]
        args += ["--role", role, "--password", PASSWORD, "--postcode", "3561 AB"]
        if cooperative:
            args += ["--cooperative", cooperative]
        done = subprocess.run(args, env=self.system.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr

    def cooperative_of(self, district: str) -> str:
        coops = self.http.get("/api/v1/cooperatives", params={"area": district}).json()
        return next(c["cooperative_id"] for c in coops["cooperatives"] if c["level"] == "district")


def artifacts_dir() -> Path:
    """Where browser tests leave their screenshots (`SAMEN_TEST_ARTIFACTS`, else
    var/test-artifacts/ in the repository, which git ignores)."""
    return Path(os.environ.get("SAMEN_TEST_ARTIFACTS") or REPO / "var" / "test-artifacts")


def assert_reflows(page: Any) -> None:
    """Nothing on the page scrolls sideways (WCAG 1.4.10 Reflow)."""
    wide, view = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= view, f"{page.url}: {wide} px wide in a {view} px window"


class Steps:
    """A journey on a phone: at every step the page reflows, axe finds nothing, and a
    screenshot of the whole page is kept as a test artefact."""

    def __init__(self, test_name: str, width: int) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        self.folder = artifacts_dir() / "e2e" / safe
        self.folder.mkdir(parents=True, exist_ok=True)
        self.width = width
        self.count = 0

    def check(self, page: Any, name: str) -> None:
        page.wait_for_load_state()
        self.count += 1
        page.screenshot(
            path=str(self.folder / f"{self.count:02d}-{name}-{self.width}px.png"), full_page=True
        )
        assert_reflows(page)
        assert_accessible(page)


@pytest.fixture
def steps(request: pytest.FixtureRequest) -> Callable[[int], Steps]:
    return lambda width: Steps(request.node.name, width)
