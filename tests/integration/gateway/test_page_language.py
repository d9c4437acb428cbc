"""Every page speaks its own language, problems included: a refused log-in, a postcode the
registry does not know, the log-in throttle, a used link and the error page say what is wrong
in the page's language (chosen by the problem's code, reason and field), never in the API's
English detail. The resident's pages come in Turkish and Arabic too, Arabic right to left, and
the inbox shows messages in the page's language."""

import re
from datetime import UTC, datetime

import httpx
import pytest

from services.gateway.i18n import LANGUAGE_NAMES
from shared.contracts import notify as nc
from shared.errors import Conflict
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.integration.gateway.test_security import form_token

pytestmark = pytest.mark.integration

ENGLISH_DETAILS = (
    "not right",
    "municipality",
    "answered already",
    "Too many failed attempts",
    "No such",
)


def error_summary(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary, "no error summary on the page"
    return re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)


def no_english_detail(html: str) -> None:
    shown = [words for words in ENGLISH_DETAILS if words in html]
    assert not shown, f"English problem details on a Dutch page: {shown}"


async def post_form(client: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    page = await client.get(path)
    return await client.post(path, data={**form, "csrf_token": form_token(page.text)})


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    response = await post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text[:300]


async def test_a_refused_log_in_is_said_in_dutch(running_gateway: RunningGateway) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await running_gateway.register(client, "inloggen@example.nl")
        refused = await post_form(
            client, "/login", {"email": "inloggen@example.nl", "password": "not the password"}
        )
    assert refused.status_code == 401
    assert error_summary(refused.text) == ["Het e-mailadres of het wachtwoord klopt niet."]
    no_english_detail(refused.text)


async def test_the_log_in_throttle_is_said_in_dutch(running_gateway: RunningGateway) -> None:
    """The gateway's options allow three tries (tests/integration/gateway/conftest.py)."""
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await running_gateway.register(client, "geremd@example.nl")
        for _ in range(4):
            last = await post_form(
                client, "/login", {"email": "geremd@example.nl", "password": "wrong password"}
            )
            if last.status_code == 429:
                break
    assert last.status_code == 429
    [message] = error_summary(last.text)
    assert message.startswith("Te vaak een verkeerd wachtwoord. Wacht ")
    no_english_detail(last.text)


async def test_an_unknown_postcode_is_said_once_in_dutch_and_the_form_keeps_what_was_typed(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        refused = await post_form(
            client,
            "/register",
            {
                "name": "Ans de Vries",
                "email": "ans.devries@example.nl",
                "password": "a long password",
                "postcode": "9999 ZZ",
                "house_number": "12",
            },
        )
    assert refused.status_code == 422, refused.text[:300]
    said = "Deze postcode kennen we niet. Samen werkt daar nog niet."
    assert error_summary(refused.text) == [said]
    assert refused.text.count(said) == 2  # in the summary and once under the postcode field
    assert 'id="postcode-error"' in refused.text
    for typed in ("Ans de Vries", "ans.devries@example.nl", "9999 ZZ"):
        assert f'value="{typed}"' in refused.text, typed
    no_english_detail(refused.text)


async def test_a_used_link_says_so_in_the_pages_language(running_gateway: RunningGateway) -> None:
    running_gateway.world.link_refusals["used-link"] = Conflict(
        "this proposal has been answered already", details={"reason": "answered"}
    )
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        dutch = await client.get("/p/used-link")
        english = await client.get("/p/used-link?lang=en")
    assert dutch.status_code == english.status_code == 409
    assert "Op deze vraag is al antwoord gegeven." in dutch.text
    no_english_detail(dutch.text)
    assert "This proposal has been answered already." in english.text


async def test_the_error_page_speaks_the_pages_language_never_the_apis_detail(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await running_gateway.register(client, "foutpagina@example.nl")
        await log_in(client, "foutpagina@example.nl")
        dutch = await client.get("/requests/0000000000000000000000000")
        turkish = await client.get("/requests/0000000000000000000000000?lang=tr")
    assert dutch.status_code == 404
    assert "Niet gevonden" in dutch.text and "We konden dit niet vinden." in dutch.text
    no_english_detail(dutch.text)
    assert "Bulunamadı" in turkish.text and "Bunu bulamadık." in turkish.text


@pytest.mark.parametrize(
    ("language", "direction", "words"),
    [
        ("tr", "ltr", ["Yardım iste", "Ne için yardıma ihtiyacınız var?", "Alışveriş"]),
        ("ar", "rtl", ["اطلب المساعدة", "بماذا تحتاج المساعدة؟", "التسوق"]),
    ],
)
async def test_the_residents_pages_come_in_turkish_and_arabic(
    running_gateway: RunningGateway, language: str, direction: str, words: list[str]
) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await running_gateway.register(client, f"bewoner.{language}@example.nl")
        await log_in(client, f"bewoner.{language}@example.nl")
        ask = await client.get(f"/ask?lang={language}")
        mine = await client.get("/requests")  # the choice is remembered
    assert f'<html lang="{language}" dir="{direction}">' in ask.text
    for word in words:
        assert word in ask.text, word
    assert f'<html lang="{language}" dir="{direction}">' in mine.text
    # The language menu offers every other language, each named in itself.
    for code, name in LANGUAGE_NAMES.items():
        if code != language:
            assert f'lang="{code}" hreflang="{code}" dir="auto">{name}</a>' in ask.text


async def test_registering_from_a_turkish_page_gives_dutch_messages(
    running_gateway: RunningGateway,
) -> None:
    """Notify writes Dutch and English only: a Turkish reader's messages fall back to Dutch."""
    world = running_gateway.world
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await client.get("/?lang=tr")
        response = await post_form(
            client,
            "/register",
            {
                "name": "Ayşe Yılmaz",
                "email": "ayse@example.nl",
                "password": "a long password",
                "postcode": "3561 AB",
                "house_number": "3",
            },
        )
    assert response.status_code == 303, response.text[:300]
    [member] = [m for m in world.members.values() if m.email == "ayse@example.nl"]
    assert member.language == "nl"


async def test_the_inbox_shows_messages_in_the_pages_language(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        member_id = await running_gateway.register(client, "berichten@example.nl")
        now = datetime.now(UTC)

        def item(subject: str, body: str) -> nc.InboxItem:
            return nc.InboxItem(
                item_id="01JINBOXITEM0000000000000", template="welcome",
                subject=subject, body=body, created_at=now,
            )  # fmt: skip

        world.inbox[member_id] = {
            None: [item("Welkom bij Samen", "Fijn dat u meedoet!")],
            "nl": [item("Welkom bij Samen", "Fijn dat u meedoet!")],
            "en": [item("Welcome to Samen", "Good to have you with us!")],
        }
        await log_in(client, "berichten@example.nl")
        english = await client.get("/inbox?lang=en")
        dutch = await client.get("/inbox?lang=nl")
        arabic = await client.get("/inbox?lang=ar")
    assert "Welcome to Samen" in english.text and "Welkom" not in english.text
    assert "Welkom bij Samen" in dutch.text
    assert "Welkom bij Samen" in arabic.text  # notify writes no Arabic: Dutch, the fallback
    assert "الرسائل" in arabic.text


async def test_the_api_gives_the_inbox_in_the_language_asked_for(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        member_id = await running_gateway.register(client, "api.berichten@example.nl")
        item = nc.InboxItem(
            item_id="01JINBOXITEM0000000000001", template="welcome",
            subject="Welcome to Samen", body="Hello", created_at=datetime.now(UTC),
        )  # fmt: skip
        world.inbox[member_id] = {None: [item.model_copy(update={"subject": "Welkom"})]}
        world.inbox[member_id]["en"] = [item]
        bearer = await running_gateway.bearer(client, "api.berichten@example.nl")
        english = await client.get("/api/v1/inbox?lang=en", headers=bearer)
        own = await client.get("/api/v1/inbox", headers=bearer)
        refused = await client.get("/api/v1/inbox?lang=xx", headers=bearer)
    assert english.json()["items"][0]["subject"] == "Welcome to Samen"
    assert own.json()["items"][0]["subject"] == "Welkom"
    assert refused.status_code == 422
