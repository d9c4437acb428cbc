"""What people type never becomes markup: every page template and every e-mail template,
rendered with hostile text in every field a person can fill in, shows that text escaped.

The templates are enumerated from their folders, so a new one cannot be forgotten, and each is
rendered with a context built from the real models (contracts, gateway schemas) whose every
string is hostile markup tagged with its field's name. jinja2.meta checks that each context
gives every variable its template reads, and StrictUndefined that every attribute exists. The
Content-Security-Policy stays the second line; these tests are about the first.

The last test goes through the whole running system (`samen up`): a hostile name and
description are stored through the API and come back escaped on the pages that showed them raw.
"""

import dataclasses
import html
import re
import types
import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlencode

import httpx
import jinja2
import jinja2.meta
import jinja2.nodes
import pytest
from markupsafe import escape
from pydantic import BaseModel
from starlette.requests import Request

from services.gateway import charts, inbox_view, web
from services.gateway.adapters.store import Account, AuditEntry
from services.gateway.area_names import AreaNames
from services.gateway.i18n import LANGUAGES as LANGUAGES_OF_PAGES
from services.gateway.passing_on import TaskOut
from services.gateway.principal import Principal
from services.gateway.problems import Problem
from services.gateway.schemas import MemberImportOut, NotificationsOut, RequestOut
from services.gateway.usecases.cooperatives import Administered
from services.gateway.usecases.coordinators import BoardFilter, VolunteerRow
from services.notify.adapters.rendering import LANGUAGES, TEMPLATES, Renderer
from services.notify.domain.messages import Facts, Person, message_context
from services.notify.domain.model import Template
from services.notify.domain.samples import sample_facts
from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.credentials import SecretKeys
from tests.conftest import RunningSystem
from tests.e2e.conftest import Api, caught_up
from tests.support import wait_until

# Every way out of a text node or an attribute, and a script address for an href.
PAYLOAD = (
    'javascript:alert(1)//"><svg onload=alert(2)><img src=x onerror=alert(3)>'
    "' onfocus='alert(4)' \" onblur=\"alert(5)"
)
RAW = (
    "<svg onload",
    "<img src=x",
    "' onfocus='",
    '" onblur="',
    'href="javascript:',
    "href='javascript:",
)
MOMENT = datetime(2026, 1, 6, 9, 30, tzinfo=UTC)
GATEWAY_TEMPLATES = Path(web.TEMPLATE_DIR)
VARIANTS = range(8)  # enough to take every state of every enum at least once


def hostile(tag: str) -> str:
    """The payload, tagged with the field it was put in (to find it back in the page)."""
    return f"{PAYLOAD} [{tag}]"


def raw_markup_in(html: str) -> list[str]:
    return [piece for piece in RAW if piece in html]


# ------------------------------------------------------------------ hostile models


def build(kind: Any, tag: str, variant: int) -> Any:
    """A value of type `kind` whose every string is hostile; enums, literals and booleans
    take their `variant`-th value, so rendering every variant takes every branch."""
    origin, args = get_origin(kind), get_args(kind)
    if origin is Annotated:  # a bounded type: the bound is the schema's business, not ours
        return build(args[0], tag, variant)
    if kind is Any or kind is str:
        return hostile(tag)
    if kind is bool:
        return variant % 2 == 0
    if kind is int:
        return 7 + variant
    if kind is float:
        return 2.5 + variant
    if kind is datetime:
        return MOMENT
    if kind is date:
        return MOMENT.date()
    if isinstance(kind, type) and issubclass(kind, Enum):
        members = list(kind)
        return members[variant % len(members)]
    if origin is Literal:
        return args[variant % len(args)]
    if origin in (Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        return build(present[0], tag, variant)
    if origin in (list, set, frozenset):
        items = [build(args[0], tag, variant), build(args[0], tag, variant + 1)]
        return origin(items) if origin is not list else items
    if origin is tuple:
        return tuple(build(a, f"{tag}.{i}", variant) for i, a in enumerate(args))
    if origin is dict:
        key_kind, value_kind = args
        finite = (isinstance(key_kind, type) and issubclass(key_kind, Enum)) or (
            get_origin(key_kind) is Literal
        )
        keys: list[Any] = (
            list(key_kind) if isinstance(key_kind, type) and issubclass(key_kind, Enum) else []
        ) or (list(get_args(key_kind)) if finite else [hostile(f"{tag}.key")])
        return {k: build(value_kind, f"{tag}.{k}", variant) for k in keys}
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return kind.model_construct(
            **{
                name: build(field.annotation, f"{tag}.{name}", variant)
                for name, field in kind.model_fields.items()
            }
        )
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        return kind(
            **{
                f.name: build(hints[f.name], f"{tag}.{f.name}", variant)
                for f in dataclasses.fields(kind)
            }
        )
    raise TypeError(f"no hostile value for {kind!r} ({tag})")


FORM_FIELDS = ("name", "email", "postcode", "house_number", "phone", "description", "day", "part")


def page_context(template: str, v: int) -> dict[str, Any]:
    """What the page routes hand each template, with hostile text in every field."""

    def make(kind: Any, tag: str) -> Any:
        return build(kind, tag, v)

    values = {k: hostile(f"values.{k}") for k in FORM_FIELDS}
    errors = {
        k: hostile(f"errors.{k}")
        for k in (*FORM_FIELDS, "form", "quiet_start", "apprise_add", "digest_time", "new_email")
    }
    volunteer_id = hostile("candidates.volunteer_id")
    candidates = [
        make(mc.Candidate, "candidates").model_copy(update={"volunteer_id": volunteer_id})
    ]
    labels = [hostile("chart.label"), hostile("chart.label2")]
    inbox_page = make(nc.InboxPage, "page")
    inbox_messages = {
        item.item_id: inbox_view.message(
            f"{item.body}\n\nhttps://x.example/{hostile('url')}\n{item.body}",
            item.template,
            item.link,
        )
        for item in inbox_page.items
    }
    contexts: dict[str, dict[str, Any]] = {
        "ask.html.j2": {
            "values": values,
            "errors": errors,
            "today": MOMENT.date(),
            "requester": make(rc.MemberInfo, "requester"),
        },
        "base.html.j2": {},
        "board.html.j2": {
            "areas": make(list[str], "areas"),
            "columns": make(list[tuple[str, list[mc.RequestSummary]]], "columns"),
            "board": make(mc.Board, "board"),
            "wanted": BoardFilter(
                neighbourhood=hostile("wanted.neighbourhood"), number=hostile("wanted.number")
            ),
            "neighbourhoods": make(list[str], "neighbourhoods"),
            "states": ("escalated", "matched"),
            "tasks": make(list[TaskOut], "tasks"),
        },
        "board_tasks.html.j2": {"tasks": make(list[TaskOut], "tasks")},
        "board_end.html.j2": {
            "action": ("cancel", "close")[v % 2],
            "request_view": make(mc.RequestView, "request_view"),
            "values": values,
            "errors": errors,
        },
        "board_audit.html.j2": {"entries": make(list[AuditEntry], "entries")},
        "admin.html.j2": {"cooperatives": make(list[rc.CooperativeInfo], "cooperatives")},
        "admin_cooperative.html.j2": {
            "view": Administered(
                cooperative=make(rc.CooperativeInfo, "coop"),
                coordinators=make(list[rc.MemberInfo], "coordinators"),
                channels=make(nc.CooperativeChannels, "channels"),
                may_change_areas=v % 2 == 0,
                may_invite=v % 2 == 0,
                changes=make(list[AuditEntry], "changes"),
            ),
            "coop": make(rc.CooperativeInfo, "coop"),
            "apprise": [(hostile("apprise.id"), hostile("apprise.masked"))],
            "rings": [(1, hostile("rings.label"))],
            "area_groups": [
                (
                    hostile("area_groups.code"),
                    hostile("area_groups.name"),
                    [(hostile("area_groups.bcode"), hostile("area_groups.bname"))],
                )
            ],
            "errors": errors,
            "section": ("cooperative", "policy", "coordinators", "channels")[v % 4],
            "typed": {
                k: hostile(f"typed.{k}")
                for k in ("name", "email", "postcode", "house_number", "apprise_add", "digest_time")
            },
            "saved": ("policy", None)[v % 2],
        },
        "board_volunteers.html.j2": {
            "rows": [
                VolunteerRow(
                    member=make(rc.MemberSummary, "member"),
                    profile=make(rc.VolunteerProfile, "profile"),
                    certificate="expiring",
                    expires=date(2027, 1, 1),
                )
            ],
            "today": date(2026, 12, 2),
        },
        "board_request.html.j2": {
            "request_view": make(RequestOut, "request_view"),
            "requester": make(rc.MemberInfo, "requester"),
            "candidates": candidates,
            "names": {volunteer_id: hostile("names")},
            "reach": ("phone", "via_you", "email")[v % 3],
        },
        "error.html.j2": {
            "problem": make(Problem, "problem"),
            "message": hostile("message"),
            "field_messages": [hostile("field_messages")],
        },
        "home.html.j2": {},
        "inbox.html.j2": {"page": inbox_page, "messages": inbox_messages},
        "link.html.j2": {
            "link": make(nc.ProposalLink, "link"),
            "token": hostile("token"),
            "proposal": make(mc.ProposalView, "proposal"),
            "closed": v % 2 == 1,
            "answer": ("accept", "decline", None)[v % 3],
            "open": v % 2 == 0,
            "job": make(RequestOut, "job") if v % 4 < 2 else None,
        },
        "link_done.html.j2": {
            "answer": ("accept", "decline")[v % 2],
            "job": make(RequestOut, "job") if v % 4 < 2 else None,
        },
        "feedback.html.j2": {
            "request_view": (
                make(RequestOut, "request_view").model_copy(update={"feedback_from": []})
                if v % 2 == 0
                else make(RequestOut, "request_view")
            ),
            "values": {"score": hostile("values.score"), "comment": hostile("values.comment")},
            "errors": {"score": hostile("errors.score")},
        },
        "cancel_confirm.html.j2": {"request_view": make(RequestOut, "request_view")},
        "erased.html.j2": {},
        "login.html.j2": {"next": hostile("next"), "errors": errors, "email": hostile("email")},
        "password_reset.html.j2": {"sent": False, "email": hostile("email"), "errors": errors},
        "set_password.html.j2": {"refused": None, "token": hostile("token"), "errors": errors},
        "email_confirm.html.j2": {
            "refused": None,
            "token": hostile("token"),
            "new_email": hostile("new_email"),
        },
        "macros.html.j2": {},
        "map.html.j2": {
            "results": make(rc.DirectoryResults, "results"),
            "q": hostile("q"),
            "chosen": hostile("chosen"),
            "area": hostile("area"),
            "districts": make(list[tuple[str, str]], "districts"),
            "keeps_map": v % 2 == 0,
        },
        "me.html.j2": {"member": make(rc.MemberInfo, "member"), "errors": errors},
        "new_member.html.j2": {"values": values, "errors": errors},
        "member_import.html.j2": {"errors": errors},
        "directory_import.html.j2": {
            "errors": errors,
            "report": make(rc.DirectoryImportReport, "report") if v % 2 == 0 else None,
        },
        "organisations.html.j2": {
            "organisations": make(list[rc.OrganisationInfo], "organisations"),
            "coordinates": v % 2 == 0,
        },
        "organisation.html.j2": {
            "org": make(rc.OrganisationInfo, "org") if v % 3 else None,
            "offers": make(list[rc.OfferInfo], "offers"),
            "values": {
                k: hostile(f"values.{k}")
                for k in (
                    "name",
                    "description",
                    "area",
                    "postcode",
                    "address",
                    "phone",
                    "email",
                    "website",
                    "manager_emails",
                )
            },
            "errors": errors,
            "area_groups": [
                (
                    hostile("area_groups.code"),
                    hostile("area_groups.name"),
                    [(hostile("area_groups.bcode"), hostile("area_groups.bname"))],
                )
            ],
            "coordinates": v % 2 == 0,
        },
        "offer.html.j2": {
            "org": make(rc.OrganisationInfo, "org"),
            "offer": make(rc.OfferInfo, "offer") if v % 2 else None,
            "values": {
                **{
                    k: hostile(f"values.{k}")
                    for k in ("name", "description", "schedule", "address", "phone", "email", "url")
                },
                "categories": [hostile("values.categories")],
                "area_codes": [hostile("values.area_codes")],
            },
            "hours_rows": [(hostile("hours_day"), hostile("hours_from"), hostile("hours_to"))],
            "errors": errors,
            "area_groups": [
                (
                    hostile("area_groups.code"),
                    hostile("area_groups.name"),
                    [(hostile("area_groups.bcode"), hostile("area_groups.bname"))],
                )
            ],
        },
        "member_import_status.html.j2": {
            "job": make(MemberImportOut, "job").model_copy(
                update={"state": ("checking", "done", "failed")[v % 3]}
            ),
            "follow_seconds": 2 if v % 3 == 0 else None,
        },
        "notice_board.html.j2": {"board": make(mc.NoticeBoard, "board"), "area": hostile("area")},
        "notifications.html.j2": {
            "preferences": make(NotificationsOut, "preferences"),
            "errors": errors,
        },
        "proposals.html.j2": {"proposals": make(list[mc.ProposalView], "proposals")},
        "register.html.j2": {"values": values, "errors": errors},
        "reports.html.j2": {
            "area": hostile("area"),
            "area_label": hostile("area_label"),
            "municipalities": make(list[tuple[str, str]], "municipalities"),
            "districts": make(list[tuple[str, str]], "districts"),
            "figures": make(mc.Figures, "figures"),
            "per_week": charts.stacked_bars(
                hostile("chart.title"),
                labels,
                {"open": [1, None]},
                {"open": hostile("chart.series")},
                totals=[1, 7],
                hidden=hostile("chart.hidden"),
            ),
            "time_to_match": charts.line_chart(
                hostile("chart.title"),
                labels,
                [1.5, None],
                hostile("chart.unit"),
                missing=[hostile("chart.missing"), hostile("chart.missing")],
            ),
            "utrecht_map": charts.neighbourhood_map(
                hostile("map.title"),
                {"BU03440305": 3},
                {k: hostile(f"map.{k}") for k in ("none", "few", "many", "suppressed")},
            ),
            "map_title": hostile("map_title"),
            "neighbourhoods": make(dict[str, int | None], "neighbourhoods"),
            "start": MOMENT,
            "end": MOMENT,
            # Built by the page from the (checked) area code; here from a hostile one.
            "csv_url": "/api/v1/reports.csv?" + urlencode({"area": hostile("csv_url")}),
            "since": hostile("since"),
            "until": hostile("until"),
            "quarters": [hostile("quarters")],
            "quarter": hostile("quarter"),
            "district": hostile("district"),
        },
        "request.html.j2": {
            "request_view": make(RequestOut, "request_view"),
            "is_requester": v % 2 == 0,
        },
        "requests.html.j2": {"requests": make(list[mc.RequestSummary], "requests")},
        "volunteer.html.j2": {
            "profile": make(rc.VolunteerProfile, "profile"),
            "slots": {hostile("slots")},
            "slot_rows": [(hostile("slot_day"), hostile("slot_from"), hostile("slot_to"))],
            "spoken_languages": {hostile("language_code"): hostile("language_name")},
            "chosen_languages": {hostile("language_code")},
            "consent": v % 2 == 0,
            "day_parts": ["morning", "afternoon", "evening"],
            "errors": errors,
            "certificate": ("none", "valid", "expiring", "expired")[v % 4],
            "certificate_expires": date(2027, 1, 1) if v % 4 else None,
        },
    }
    return contexts[template]


# Fields the defect showed raw, and the pages that must show them (escaped).
MUST_SHOW = {
    "board_request.html.j2": [
        "request_view.description",
        "requester.name",
        "names",
        "request_view.feedback.comment",
    ],
    "proposals.html.j2": ["proposals.description"],
    "link.html.j2": ["proposal.description", "job.requester.first_name", "job.description"],
    "link_done.html.j2": ["job.requester.first_name", "job.requester.email"],
    "feedback.html.j2": ["values.comment", "errors.score"],
    "request.html.j2": [
        "request_view.description",
        "request_view.helper.first_name",
        "request_view.requester.first_name",
        "request_view.requester.via_coordinator.name",
    ],
    "board_tasks.html.j2": ["tasks.call", "tasks.message", "tasks.reach", "tasks.resident_name"],
    "me.html.j2": ["member.name", "member.phone"],
    "notifications.html.j2": ["preferences.apprise.masked", "errors.apprise_add"],
    "email_confirm.html.j2": ["new_email"],
    "ask.html.j2": ["requester.name", "values.description"],
    "inbox.html.j2": ["page.items.subject", "page.items.body"],
    "map.html.j2": [
        "results.services.name",
        "results.services.description",
        "results.services.url",
        "results.services.phone",
        "results.services.opening_hours.opens",
    ],
    "organisation.html.j2": ["org.name", "values.name", "values.address", "offers.name"],
    "offer.html.j2": ["org.name", "offer.name", "values.phone", "hours_from", "area_groups.bname"],
    "organisations.html.j2": ["organisations.name", "organisations.area_name"],
    "admin.html.j2": ["cooperatives.name"],
    "admin_cooperative.html.j2": [
        "coop.name",
        "coordinators.name",
        "coordinators.email",
        "changes.detail",
        "apprise.masked",
    ],
    "directory_import.html.j2": ["report.rejected.reason"],
    # The page's own words, chosen by the problem's code (never its English detail).
    "error.html.j2": ["message", "field_messages"],
    "register.html.j2": ["values.name", "errors.name"],
    "reports.html.j2": ["chart.label", "map.title"],
}


def gateway_templates() -> list[str]:
    return sorted(p.name for p in GATEWAY_TEMPLATES.iterdir() if p.is_file())


def principal() -> Principal:
    account = build(Account, "account", 0)
    account = dataclasses.replace(
        account, roles=["resident", "volunteer", "coordinator", "admin"], language="nl"
    )
    return Principal(account=account, via="cookie", token_hash="x", csrf_secret="secret")


def hostile_request(lang: str) -> Request:
    gateway = types.SimpleNamespace(
        secret_keys=SecretKeys("test key"),
        settings=types.SimpleNamespace(time_zone="Europe/Amsterdam"),
        # No names: each area shows its (hostile) code.
        areas=types.SimpleNamespace(latest=AreaNames()),
        cookie_secure=False,
    )
    app = types.SimpleNamespace(state=types.SimpleNamespace(gateway=gateway))
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("testserver", 80),
            "path": "/requests/" + hostile("path"),
            "root_path": "",
            "query_string": f"lang={lang}".encode(),
            "headers": [],
            "app": app,
        }
    )


@pytest.fixture
def strict_templates() -> Iterator[None]:
    """A missing variable or attribute is an error while these tests render."""
    env = web.TEMPLATES.env
    before = env.undefined
    env.undefined = jinja2.StrictUndefined
    try:
        yield
    finally:
        env.undefined = before


def test_autoescape_is_on_for_every_gateway_template_and_nothing_is_marked_safe() -> None:
    env = web.TEMPLATES.env
    for name in gateway_templates():
        on = env.autoescape(name) if callable(env.autoescape) else env.autoescape
        assert on, name
        source = (GATEWAY_TEMPLATES / name).read_text()
        assert not re.search(r"\|\s*safe\b|Markup", source), f"{name} marks text as safe"


def render_page(template: str, lang: str, variant: int) -> str:
    context = page_context(template, variant)
    signed_in = principal() if variant % 4 != 3 else None
    response = web.render(
        hostile_request(lang), template, signed_in, notice=hostile("notice"), **context
    )
    return bytes(response.body).decode()


@pytest.mark.parametrize("template", gateway_templates())
@pytest.mark.parametrize("lang", LANGUAGES_OF_PAGES)
def test_every_page_template_shows_hostile_text_escaped(
    template: str, lang: str, strict_templates: None
) -> None:
    parsed = web.TEMPLATES.env.parse((GATEWAY_TEMPLATES / template).read_text())
    macros = {
        name if isinstance(name, str) else name[1]
        for node in parsed.find_all(jinja2.nodes.FromImport)
        for name in node.names
    }
    needed = jinja2.meta.find_undeclared_variables(parsed) - macros
    given = set(page_context(template, 0)) | set(render_context_names())
    assert needed <= given, f"{template} reads {needed - given}: give them hostile values here"
    pages = [render_page(template, lang, v) for v in VARIANTS]
    for body in pages:
        assert not raw_markup_in(body), (template, raw_markup_in(body))
    # The fields that were shown raw are shown (their tags are there), and escaped (no raw
    # markup anywhere above).
    shown = "\n".join(pages)
    for field in MUST_SHOW.get(template, []):
        assert f"[{field}]" in shown, (template, field)


def render_context_names() -> list[str]:
    """The variables `web.render` gives every template (and Starlette's `request`)."""
    return [
        "request", "lang", "dir", "languages", "t", "principal", "csrf_token", "categories",
        "category_label", "category_icon", "area_name", "request_number", "web_link", "when",
        "path", "lang_url", "notice", "url_for", "here", "large_text",
    ]  # fmt: skip


def test_a_link_is_followed_only_to_the_web_or_the_site_itself() -> None:
    assert web.web_link("https://buurthuis.example/agenda") == "https://buurthuis.example/agenda"
    assert web.web_link("/inbox") == "/inbox"
    for address in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//evil"):
        assert web.web_link(address) is None, address


def test_a_chart_escapes_every_text_it_draws() -> None:
    drawn = str(
        charts.stacked_bars(hostile("t"), [hostile("l")], {"open": [3]}, {"open": hostile("s")})
    )
    assert not raw_markup_in(drawn)
    assert drawn.startswith("<svg") and html.escape(hostile("l")) in drawn


# ------------------------------------------------------------------ e-mails


def email_templates() -> list[tuple[str, str]]:
    return sorted(
        (lang, path.name)
        for lang in LANGUAGES
        for path in (TEMPLATES / lang).iterdir()
        if path.suffix in (".html", ".txt")
    )


def test_every_email_template_file_is_one_the_service_sends() -> None:
    """So the test below, which renders every Template in both languages, renders every file."""
    for lang in LANGUAGES:
        stems = {p.stem for p in (TEMPLATES / lang).iterdir()}
        assert stems == {t.value for t in Template}, lang
        for t in Template:
            assert (TEMPLATES / lang / f"{t.value}.html").exists()
            assert (TEMPLATES / lang / f"{t.value}.txt").exists()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES))
    shared = {p.name for p in TEMPLATES.iterdir() if p.is_file()}
    used = {
        ref
        for lang, name in email_templates()
        for ref in jinja2.meta.find_referenced_templates(
            env.parse((TEMPLATES / lang / name).read_text())
        )
    }
    assert shared <= used, f"partials no template uses: {shared - used}"


def test_notify_escapes_every_template_but_plain_text_whatever_its_name() -> None:
    """Not only `.html`: a new HTML e-mail named otherwise is escaped too; `.txt` never is."""
    decide = Renderer()._env.autoescape
    assert callable(decide)
    for name in ("nl/welcome.html", "_layout.html", "en/card.htm", "en/card.html.j2", "_x.xhtml"):
        assert decide(name), name
    for name in ("nl/welcome.txt", "_reasons.txt"):
        assert not decide(name), name


def hostile_facts(facts: Facts) -> Facts:
    context = dict(facts.context)
    for key in ("request_id", "proposal_id", "member_id"):
        if key in context:
            context[key] = hostile(key)
    if "url" in context:  # the gateway's account link (notify checks it is under its own address)
        context["url"] = f"{context['url']}{hostile('url')}"
    if "items" in context:
        context["items"] = [
            {**item, "area_name": hostile("items.area_name")} for item in context["items"]
        ]
    others = {
        member_id: Person(hostile("other.first_name"), hostile("other.phone") if p.phone else None)
        for member_id, p in facts.others.items()
    }
    return dataclasses.replace(
        facts,
        recipient_first_name=hostile("first_name"),
        context=context,
        others=others,
        area_name=hostile("area_name") if facts.area_name else None,
        # The accept/decline links are notify's own (public address and a signed token).
        links={key: f"{link}/{hostile(key)}" for key, link in facts.links.items()},
    )


@pytest.mark.parametrize("template", list(Template), ids=lambda t: t.value)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_email_escapes_its_html_and_keeps_its_text_plain(
    template: Template, lang: str
) -> None:
    renderer = Renderer()
    for facts in sample_facts(template, lang):
        variables = message_context(hostile_facts(facts))
        rendered = renderer.render(template.value, lang, variables)
        assert not raw_markup_in(rendered.html), (template, lang, raw_markup_in(rendered.html))
        assert str(escape(hostile("first_name"))) in rendered.html
        # Plain text is not HTML: the name reads as typed, with no entities in it.
        assert hostile("first_name") in rendered.text
        assert "&lt;" not in rendered.text and "&#" not in rendered.text
        assert "&lt;" not in rendered.subject and "&#" not in rendered.subject
        if variables.get("other_name"):
            assert str(escape(hostile("other.first_name"))) in rendered.html
            assert hostile("other.first_name") in rendered.text


# ------------------------------------------------------------------ the running system


def test_a_hostile_name_and_description_come_back_escaped_on_every_page(
    system: RunningSystem,
) -> None:
    """Stored through the API, shown by the real gateway: the coordinator's request page, the
    volunteer's proposals, the request page and the value of the name field on /me."""
    api = Api(system)
    name = "Mia <img src=x onerror=alert(1)>"
    description = 'Boodschappen "><svg onload=alert(2)> graag'
    volunteer_name = "Vera <svg onload=alert(3)>"
    api.register("mia@example.nl", "3561 AB", "12", name=name)
    api.register("vera@example.nl", "3561 AB", "14", name=volunteer_name, volunteer=True)
    mia, vera = api.login("mia@example.nl"), api.login("vera@example.nl")
    api.http.patch("/api/v1/me", json={"consents": {"matching": True}}, headers=vera)
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["groceries"], "flexible": True, "radius_km": 5},
        headers=vera,
    )
    assert profile.status_code == 200, profile.text
    caught_up(system, "matching")
    created = api.http.post(
        "/api/v1/requests",
        json={"category": "groceries", "description": description},
        headers=mia,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    api.admin_create("coordinator.escape@example.nl", "coordinator", api.cooperative_of("WK034403"))
    coordinator = api.login("coordinator.escape@example.nl")

    def page(path: str, auth: dict[str, str]) -> str:
        response = api.http.get(path, headers={**auth, "Accept": "text/html"})
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    def proposed() -> bool:
        proposals = api.http.get("/api/v1/volunteers/me/proposals", headers=vera).json()
        return any(p["request_id"] == request_id for p in proposals)

    wait_until(proposed, timeout=30, message="no proposal for the volunteer")
    shown = {
        f"/board/{request_id}": page(f"/board/{request_id}", coordinator),
        "/proposals": page("/proposals", vera),
        f"/requests/{request_id}": page(f"/requests/{request_id}", mia),
        "/me": page("/me", mia),
    }
    for path, body in shown.items():
        assert not raw_markup_in(body), (path, raw_markup_in(body))
        assert "<img src=x onerror" not in body and "<svg onload" not in body, path
    assert str(escape(description)) in shown[f"/board/{request_id}"]
    assert str(escape(name)) in shown[f"/board/{request_id}"]
    assert str(escape(description)) in shown["/proposals"]
    assert str(escape(description)) in shown[f"/requests/{request_id}"]
    assert f'value="{escape(name)}"' in shown["/me"]
    # The API answers JSON, the pages' second line stays: a script-tight policy.
    policy = httpx.get(f"{system.url}/", timeout=10).headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1]
