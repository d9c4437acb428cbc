"""The e-mail as a mail client reads it back: names, subject and bodies survive any language."""

import email
import email.policy
from email.message import EmailMessage

from services.notify.adapters.channels import render_message
from services.notify.domain.messages import Email


def read_back(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_message_with_accents_and_long_lines_reads_back_unchanged() -> None:
    text = "Hoi Zoë,\n\n" + "Één buurvrouw in Overvecht-Noord vraagt hulp met boodschappen. " * 6
    html = "<p>Hoi Zoë,</p><p>" + "Één buurvrouw vraagt hulp. " * 20 + "</p>"
    sent = Email(
        to="zoe@example.org",
        to_name="Zoë Çelik-de Vries",
        subject="Voor Zoë Çelik: kun je helpen met boodschappen in Overvecht-Noord?",
        text=text,
        html=html,
        message_id="<n-123@samen.example>",
    )
    raw = render_message(
        sent, sender="Buurtcoöperatie <noreply@samen.example>", date_header="Fri, 27 Nov 2026"
    )
    assert raw.isascii()  # 7-bit clean: any SMTP server takes it
    message = read_back(raw)
    assert message["To"].addresses[0].display_name == "Zoë Çelik-de Vries"
    assert message["To"].addresses[0].addr_spec == "zoe@example.org"
    assert message["From"].addresses[0].display_name == "Buurtcoöperatie"
    assert str(message["Subject"]) == sent.subject
    assert message["Message-ID"] == "<n-123@samen.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content() == text
    assert rich.get_content() == html


def test_a_plain_ascii_message_keeps_readable_headers() -> None:
    sent = Email(
        to="ans@example.org",
        to_name="Ans de Vries",
        subject="Thank you for helping",
        text="Hello Ans",
        html="<p>Hello Ans</p>",
        message_id="<n-1@samen.example>",
    )
    raw = render_message(sent, sender="noreply@samen.example", date_header="x")
    assert b"\nSubject: Thank you for helping\n" in raw
    assert b"\nTo: Ans de Vries <ans@example.org>\n" in raw


def test_bodies_with_awkward_lines_read_back_unchanged() -> None:
    """Lines a transport could alter: "From " at a line start (mbox), a lone dot (SMTP),
    trailing spaces, "=" signs, tabs, very long words, and text ending without a newline."""
    text = (
        "From the cooperative: thank you.\n.\nA line with trailing spaces   \n"
        "a=b and =?utf-8?q?not-a-header?=\n\tindented\n" + "x" * 300 + "\nFrom here on"
    )
    sent = Email(
        to="a@example.org",
        to_name="",
        subject="A subject that goes on and on " * 5,
        text=text,
        html="<p>" + "lang " * 100 + "</p>",
        message_id="<n-2@samen.example>",
    )
    raw = render_message(sent, sender="Samen <noreply@samen.example>", date_header="x")
    assert raw.isascii()
    assert all(len(line) <= 78 for line in raw.split(b"\n"))
    assert b"\nFrom " not in raw and not raw.startswith(b"From ")
    message = read_back(raw)
    plain = message.get_body(("plain",))
    assert plain is not None and plain.get_content() == text
    assert str(message["Subject"]) == sent.subject
    assert message["To"].addresses[0].addr_spec == "a@example.org"
