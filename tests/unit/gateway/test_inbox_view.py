"""The inbox shows a message's text as written (paragraphs, line breaks) with its addresses as
buttons: a long address does not wrap, so written out it pushed a phone's page 1,800 px wide."""

from services.gateway.inbox_view import OTHER_LINK, Segment, message

PROPOSAL = """Hallo Sanne,

Iemand in Overvecht vraagt om hulp.

Wat: Boodschappen
Wanneer: dinsdag 8 december

Kun je helpen? Klik dan hier:
https://samen.example/p/eyJhY2Npb24iOiJhY2NlcHQifQ.c2lnbmF0dXJl-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa

Groeten,
Samen"""
LINK = "https://samen.example/proposals/01a2375f"


def test_paragraphs_and_line_breaks_are_kept() -> None:
    shown = message(PROPOSAL, "proposal", LINK)
    assert len(shown.paragraphs) == 5
    assert [line[0].text for line in shown.paragraphs[2]] == [
        "Wat: Boodschappen",
        "Wanneer: dinsdag 8 december",
    ]
    assert [line[0].text for line in shown.paragraphs[4]] == ["Groeten,", "Samen"]


def test_an_address_is_a_button_and_never_shown_as_text() -> None:
    shown = message(PROPOSAL, "proposal", LINK)
    texts = [s.text for p in shown.paragraphs for line in p for s in line]
    assert not any("http" in text for text in texts)
    (button,) = [s for p in shown.paragraphs for line in p for s in line if s.href]
    assert button.href.startswith("https://samen.example/p/")  # type: ignore[union-attr]
    assert button.label == OTHER_LINK


def test_the_message_link_is_a_button_named_for_what_it_opens() -> None:
    shown = message(PROPOSAL, "proposal", LINK)
    assert shown.link == Segment(href=LINK, label="View the proposal")
    # Named in the text already: no second button.
    named = message(f"Bekijk het hier: {LINK}.", "proposal", LINK)
    assert named.link is None
    (line,) = named.paragraphs[0]
    assert line[0].text == "Bekijk het hier: "
    assert line[1] == Segment(href=LINK, label="View the proposal")
    assert line[2].text == "."


def test_an_address_that_is_not_the_web_stays_text() -> None:
    shown = message("Zie javascript:alert(1)", "welcome", "javascript:alert(1)")
    assert shown.link is None
    assert all(s.href is None for p in shown.paragraphs for line in p for s in line)
