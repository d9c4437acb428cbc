"""The plug-in kit's names and permissions agree with deploy/nats (no server needed)."""

from pathlib import Path

import pytest

from shared.plugin import (
    Plugin,
    PluginSettings,
    area_subjects,
    check_cooperative,
    nats_user_block,
    plugin_consumer_spec,
)

REPO = Path(__file__).resolve().parents[2]
NATS = REPO / "deploy" / "nats"


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_the_overvecht_account_in_plugins_conf_is_the_one_the_kit_renders() -> None:
    assert squeeze(nats_user_block("overvecht", "WK034403")) in squeeze(
        (NATS / "plugins.conf").read_text()
    )


def test_the_template_filled_in_is_the_rendered_block() -> None:
    template = (NATS / "plugin-user.conf.template").read_text()
    body = "\n".join(line for line in template.splitlines() if not line.startswith("#"))
    body = body.replace("<area>", "BU03440111")
    filled = (
        body.replace("<AREA-SUBJECTS>", area_subjects("BU03440111"))
        .replace("<COOPERATIVE>", "BUURT_ZUILEN")
        .replace("<cooperative>", "buurt-zuilen")
    )
    assert squeeze(filled) == squeeze(nats_user_block("buurt-zuilen", "BU03440111"))


def test_an_area_becomes_one_subject_filter_per_level() -> None:
    assert area_subjects("GM0344") == "samen.evt.*.*.GM0344.>"
    assert area_subjects("WK034403") == "samen.evt.*.*.GM0344.WK034403.>"
    assert area_subjects("BU03440321") == "samen.evt.*.*.GM0344.WK034403.BU03440321"
    spec = plugin_consumer_spec("overvecht", "WK034403")
    assert (spec.durable, spec.filter_subjects) == (
        "plugin-overvecht",
        ("samen.evt.*.*.GM0344.WK034403.>",),
    )


@pytest.mark.parametrize("bad", ["", "a.b", "a*", "a>", "a b"])
def test_a_cooperative_id_must_be_one_safe_subject_token(bad: str) -> None:
    with pytest.raises(ValueError):
        check_cooperative(bad)


def test_a_plugin_needs_its_cooperative_and_area() -> None:
    with pytest.raises(ValueError, match="cooperative and area"):
        Plugin(settings=PluginSettings())
    plugin = Plugin(settings=PluginSettings(plugin_cooperative="oost", plugin_area="WK034405"))
    assert (plugin.name, plugin.subject_filter) == (
        "plugin-oost",
        "samen.evt.*.*.GM0344.WK034405.>",
    )


def test_samen_plugin_nats_user_prints_the_block_for_auth_conf() -> None:
    from typer.testing import CliRunner

    from samen.cli import app

    result = CliRunner().invoke(app, ["plugin", "nats-user", "overvecht", "WK034403"])
    assert result.exit_code == 0, result.output
    assert result.output == nats_user_block("overvecht", "WK034403")
