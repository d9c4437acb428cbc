"""Jinja2 templates, nl and en, text and HTML (services/notify/templates/<lang>/<name>.txt|html).

A .txt template renders the subject on its first line and the plain-text body after it; the
.html template extends `_layout.html`. StrictUndefined: a missing variable is an error, never
an empty hole in a message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notify.domain.messages import LANGUAGES, Rendered

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
__all__ = ["LANGUAGES", "TEMPLATES", "Renderer"]


class Renderer:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        # Text keeps its line breaks as written (then tidied) and is never HTML-escaped: a
        # plain-text e-mail shows "&amp;" as it is. Everything else is escaped, whatever the
        # file is called, so a new HTML template cannot be left unescaped by its name. The
        # templates ship with the code: no look at each file's modification time per message.
        self._env = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=select_autoescape(
                enabled_extensions=(), disabled_extensions=("txt",), default=True
            ),
            auto_reload=False,
        )

    def render(self, template: str, lang: str, variables: dict[str, Any]) -> Rendered:
        if lang not in LANGUAGES:
            lang = "nl"
        text = self._env.get_template(f"{lang}/{template}.txt").render(variables).lstrip()
        subject, _, body = text.partition("\n")
        subject = " ".join(subject.split())
        html = self._env.get_template(f"{lang}/{template}.html").render(
            {**variables, "subject": subject}
        )
        return Rendered(subject=subject, text=_tidy(body) + "\n", html=html)


def _tidy(text: str) -> str:
    """At most one empty line in a row; no trailing spaces."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out)
