"""The volunteer page on the whole system: saving the form as a browser posts it keeps every
slot (also ones the day-part grid cannot show) and languages are chosen by name."""

from contextlib import closing
from html.parser import HTMLParser

import httpx
import pytest

from tests.conftest import RunningSystem

pytestmark = pytest.mark.integration

PASSWORD = "a good password"


class FormFields(HTMLParser):
    """What a browser submits for the page's POST form: text and time inputs, checked boxes,
    the selected option of each select (the first when none is marked)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.labels: dict[str, str] = {}
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._label_for: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and "name" in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            elif kind != "submit":
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "label":
            self._label_for = a.get("for")

    def handle_data(self, data: str) -> None:
        if self._label_for:
            self.labels[self._label_for] = self.labels.get(self._label_for, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "label":
            self._label_for = None


def posted(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The fields as httpx posts them: each name's values in page order."""
    body: dict[str, list[str]] = {}
    for name, value in fields:
        body.setdefault(name, []).append(value)
    return body


def form_of(html: str) -> FormFields:
    parser = FormFields()
    parser.feed(html)
    return parser


def signed_in(system: RunningSystem, email: str) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=system.url, timeout=15, headers={"Accept": "text/html"})
    registered = client.post(
        "/api/v1/auth/register",
        json={
            "name": "Vera Vrijwilliger",
            "email": email,
            "password": PASSWORD,
            "postcode": "3563 AB",
            "house_number": "7",
        },
    )
    assert registered.status_code == 202, registered.text
    login = client.get("/login")
    token = dict(form_of(login.text).fields)["csrf_token"]
    done = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert done.status_code == 303, done.text
    api = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return client, {"Authorization": f"Bearer {api.json()['access_token']}"}


def test_saving_unrelated_fields_keeps_a_slot_the_grid_cannot_show(system: RunningSystem) -> None:
    client, bearer = signed_in(system, "vera.slots@example.nl")
    with closing(client):
        put = client.put(
            "/api/v1/volunteers/me",
            headers={**bearer, "Accept": "application/json"},
            json={
                "categories": ["groceries"],
                "availability": [
                    {"weekday": 1, "start": "08:00", "end": "21:00"},
                    {"weekday": 3, "start": "08:00", "end": "12:00"},
                ],
                "radius_km": 2,
                "languages": ["nl", "pap"],
            },
        )
        assert put.status_code == 200, put.text

        page = client.get("/volunteer")
        fields = [(k, v) for k, v in form_of(page.text).fields if k != "radius_km"]
        # The volunteer changes only how far they travel, and saves.
        saved = client.post("/volunteer", data=posted([*fields, ("radius_km", "5")]))
        assert saved.status_code == 303, saved.text

        profile = client.get("/api/v1/volunteers/me", headers=bearer).json()
    assert profile["radius_km"] == 5
    assert {(s["weekday"], s["start"], s["end"]) for s in profile["availability"]} == {
        (1, "08:00", "21:00"),
        (3, "08:00", "12:00"),
    }
    assert profile["languages"] == ["nl", "pap"]


def test_languages_are_chosen_by_name_and_slots_edited_as_rows(system: RunningSystem) -> None:
    client, bearer = signed_in(system, "vera.languages@example.nl")
    with closing(client):
        page = client.get("/volunteer")
        form = form_of(page.text)
        names = set(form.labels.values())
        assert {"Nederlands", "English", "Türkçe", "العربية", "Polski", "Papiamentu"} <= names
        assert "Tamazight/Berber" in names
        fields = [(k, v) for k, v in form.fields if k not in ("languages", "slot_day")]
        fields = [(k, v) for k, v in fields if k not in ("slot_from", "slot_to")]
        chosen = [
            ("categories", "groceries"),
            ("languages", "tr"),
            ("languages", "ar"),
            ("slot_day", "4"),
            ("slot_from", "09:30"),
            ("slot_to", "11:15"),
            ("slot_day", ""),
            ("slot_from", ""),
            ("slot_to", ""),
        ]
        saved = client.post("/volunteer", data=posted([*fields, *chosen]))
        assert saved.status_code == 303, saved.text
        profile = client.get("/api/v1/volunteers/me", headers=bearer).json()
        assert profile["languages"] == ["tr", "ar"]
        assert profile["availability"] == [{"weekday": 4, "start": "09:30", "end": "11:15"}]

        # A typed code that is not on the list is refused with the form back; nothing changes.
        refused = client.post(
            "/volunteer", data=posted([*fields, ("categories", "groceries"), ("languages", "xx")])
        )
        assert refused.status_code == 422
        assert "Kies talen uit de lijst." in refused.text
        half_row = client.post(
            "/volunteer",
            data=posted(
                [*fields, *chosen[:2], ("slot_day", "2"), ("slot_from", "10:00"), ("slot_to", "")]
            ),
        )
        assert half_row.status_code == 422
        assert client.get("/api/v1/volunteers/me", headers=bearer).json() == profile
