"""The plug-in kit's names and permissions agree with deploy/nats (no server needed)."""

from pathlib import Path

import pytest

from shared.plugin import (
    MAX_DELIVERIES,
    RETRY_SECONDS,
    Plugin,
    PluginIdentity,
    PluginSettings,
    area_subjects,
    check_cooperative,
    nats_user_block,
    plugin_consumer_spec,
    retry_delay,
)

REPO = Path(__file__).resolve().parents[2]
NATS = REPO / "deploy" / "nats"
NOTICEBOARD = PluginIdentity("utrecht-overvecht", "noticeboard")


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_the_overvecht_account_in_plugins_conf_is_the_one_the_kit_renders() -> None:
    assert squeeze(nats_user_block(NOTICEBOARD, "WK034403")) in squeeze(
        (NATS / "plugins.conf").read_text()
    )


def test_the_template_filled_in_is_the_rendered_block() -> None:
    template = (NATS / "plugin-user.conf.template").read_text()
    body = "\n".join(line for line in template.splitlines() if not line.startswith("#"))
    body = body.replace("<area>", "BU03440111")
    filled = (
        body.replace("<AREA-SUBJECTS>", area_subjects("BU03440111"))
        .replace("<NAME>", "AGENDA")
        .replace("<name>", "agenda")
        .replace("<COOPERATIVE>", "BUURT_ZUILEN")
        .replace("<cooperative>", "buurt-zuilen")
    )
    assert squeeze(filled) == squeeze(
        nats_user_block(PluginIdentity("buurt-zuilen", "agenda"), "BU03440111")
    )


def test_an_area_becomes_one_subject_filter_per_level() -> None:
    assert area_subjects("GM0344") == "samen.evt.*.*.GM0344.>"
    assert area_subjects("WK034403") == "samen.evt.*.*.GM0344.WK034403.>"
    assert area_subjects("BU03440321") == "samen.evt.*.*.GM0344.WK034403.BU03440321"
    spec = plugin_consumer_spec(NOTICEBOARD, "WK034403")
    assert (spec.durable, spec.filter_subjects) == (
        "plugin-noticeboard-utrecht-overvecht",
        ("samen.evt.*.*.GM0344.WK034403.>",),
    )


def test_a_cooperative_runs_several_plugins_each_with_names_of_its_own() -> None:
    board, agenda = NOTICEBOARD, PluginIdentity("utrecht-overvecht", "agenda")
    assert board.ext_subjects == agenda.ext_subjects == "samen.ext.utrecht-overvecht.>"
    assert len({board.user, agenda.user}) == len({board.durable, agenda.durable}) == 2
    assert len({board.account, agenda.account}) == len({board.inbox_prefix, agenda.inbox_prefix})
    # The name ends at its first -, so no cooperative and name make another pair's user.
    assert PluginIdentity("aa-bb", "cc").user != PluginIdentity("bb-cc", "aa").user
    assert PluginIdentity("bb-cc", "aa").user != PluginIdentity("cc", "aabb").user
    assert PluginIdentity("bb-cc", "aa").account != PluginIdentity("cc", "aabb").account


@pytest.mark.parametrize("bad", ["", "x", "notice-board", "Board", "a_b", "a.b", "a" * 31])
def test_a_plugin_name_is_letters_and_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="letters and digits"):
        PluginIdentity("utrecht-overvecht", bad)


def test_the_retry_schedule_is_what_the_docs_say() -> None:
    assert [retry_delay(n) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert plugin_consumer_spec(NOTICEBOARD, "WK034403").max_deliver == MAX_DELIVERIES
    docs = squeeze((REPO / "docs" / "plugins.md").read_text())
    schedule = ", ".join(f"{int(s)} s" for s in RETRY_SECONDS[:-1])
    assert f"({schedule}, then every {int(RETRY_SECONDS[-1])} s" in docs
    assert f"at most {MAX_DELIVERIES} deliveries in all)" in docs


@pytest.mark.parametrize("bad", ["", "a.b", "a*", "a>", "a b"])
def test_a_cooperative_id_must_be_one_safe_subject_token(bad: str) -> None:
    with pytest.raises(ValueError):
        check_cooperative(bad)


def test_a_plugin_needs_its_cooperative_name_and_area() -> None:
    with pytest.raises(ValueError, match="cooperative, name and area"):
        Plugin(settings=PluginSettings())
    with pytest.raises(ValueError, match="cooperative, name and area"):
        Plugin(settings=PluginSettings(plugin_cooperative="utrecht-oost", plugin_area="WK034405"))
    plugin = Plugin(
        settings=PluginSettings(
            plugin_cooperative="utrecht-oost", plugin_name="agenda", plugin_area="WK034405"
        )
    )
    assert (plugin.name, plugin.subject_filter) == (
        "plugin-agenda-utrecht-oost",
        "samen.evt.*.*.GM0344.WK034405.>",
    )


def test_samen_plugin_nats_user_prints_the_block_for_auth_conf() -> None:
    from typer.testing import CliRunner

    from samen.cli import app

    result = CliRunner().invoke(
        app,
        [
            "plugin",
            "nats-user",
            "--cooperative",
            "utrecht-overvecht",
            "--name",
            "noticeboard",
            "--area",
            "WK034403",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == nats_user_block(NOTICEBOARD, "WK034403")


def test_samen_plugin_refuses_a_bad_name_in_one_line() -> None:
    from typer.testing import CliRunner

    from samen.cli import app

    result = CliRunner().invoke(
        app,
        [
            *("plugin", "nats-user", "--cooperative", "utrecht-overvecht"),
            *("--name", "notice-board", "--area", "WK034403"),
        ],
    )
    assert result.exit_code == 2
    assert "letters and digits" in result.output
    assert "Traceback" not in result.output
