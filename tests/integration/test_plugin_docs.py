"""docs/plugins.md: "your first plug-in in 30 lines" runs as written, as the tally plug-in of
the Overvecht cooperative, against a real nats-server with the users of deploy/nats and the
plug-in's account added the way the docs tell an operator to."""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.aio.msg import Msg

from shared.areas import AreaRef
from shared.events import RequestCreated, RequestMatched, envelope
from shared.plugin import PluginIdentity, nats_user_block
from tests.integration.test_nats_permissions import (
    SecuredNats,
    connect,
    provisioned,
    publish_as_admin,
    secured_nats_server,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "plugins.md"
TALLY = PluginIdentity("utrecht-overvecht", "tally")  # as the snippet names itself


def first_plugin_snippet() -> str:
    section = DOC.read_text().split("## Your first plug-in in 30 lines", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the section has no python snippet"
    return match.group(1)


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[SecuredNats]:
    config = tmp_path / "nats"
    shutil.copytree(REPO / "deploy" / "nats", config)
    with (config / "plugins.conf").open("a") as plugins:  # samen plugin nats-user ... >>
        plugins.write("\n" + nats_user_block(TALLY, "WK034403"))
    with secured_nats_server(tmp_path, config / "samen.conf") as server:
        yield server


def test_the_first_plugin_fits_in_30_lines() -> None:
    lines = [line for line in first_plugin_snippet().splitlines() if line.strip()]
    assert len(lines) <= 30


async def test_the_first_plugin_from_the_docs_publishes_its_tally(
    secured_nats: SecuredNats, tmp_path: Path
) -> None:
    await provisioned(secured_nats)
    script = tmp_path / "tally.py"
    script.write_text(first_plugin_snippet())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMEN_", "NATS_"))}
    env.update(
        {
            "NATS_URL": secured_nats.url,
            "SAMEN_NATS_PASSWORD": secured_nats.password(TALLY.user),
            "SAMEN_ENV": "test",
            "PYTHONPATH": str(REPO),
        }
    )
    tallies: list[dict[str, int]] = []
    overvecht = AreaRef.from_code("BU03440321")
    oost = AreaRef.from_code("BU03440522")
    with (tmp_path / "tally.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - a child that runs for the whole test
            [sys.executable, str(script)], env=env, cwd=tmp_path, stdout=log, stderr=log
        )
        try:
            # samen.ext.utrecht-overvecht lives in the plug-in's own NATS account: read it
            # there.
            async with connect(secured_nats, TALLY.user) as listener:

                async def on_tally(msg: Msg) -> None:
                    tallies.append(json.loads(msg.data))

                await listener.nc.subscribe("samen.ext.utrecht-overvecht.tally", cb=on_tally)

                async def publish_until_counted() -> bool:
                    # A live plug-in misses what came before it subscribed: send until it counts.
                    if process.poll() is not None:
                        raise AssertionError((tmp_path / "tally.log").read_text())
                    if not tallies:
                        await publish_as_admin(
                            secured_nats,
                            envelope(
                                RequestCreated(
                                    request_id="r-1", requester_id="m-1", category="groceries"
                                ),
                                source="matching",
                                area=overvecht,
                            ),
                        )
                    return any(t == {"groceries": 1} for t in tallies)

                await eventually(publish_until_counted, timeout=20, interval=0.5)
                await publish_as_admin(
                    secured_nats,
                    envelope(
                        RequestCreated(request_id="r-2", requester_id="m-2", category="meals"),
                        source="matching",
                        area=oost,
                    ),
                    envelope(
                        RequestMatched(request_id="r-1", requester_id="m-1", volunteer_id="v-1"),
                        source="matching",
                        area=overvecht,
                    ),
                )

                async def emptied() -> bool:
                    return tallies[-1] == {}

                await eventually(emptied, message="the matched request was not taken off")
                assert all("meals" not in t for t in tallies)  # Oost's request never counted
        finally:
            process.terminate()
            process.wait(timeout=15)
    assert secured_nats.violations() == []
