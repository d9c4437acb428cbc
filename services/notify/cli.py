"""`samen notify ...`: look at the messages notify sends.

samen notify preview proposal --lang nl            # the plain-text e-mail
samen notify preview proposal --lang en --html     # the HTML part
samen notify templates                             # every template and its samples
"""

from typing import Annotated

import typer

from services.notify.adapters.rendering import LANGUAGES, Renderer
from services.notify.domain.messages import message_context
from services.notify.domain.model import Template
from services.notify.domain.samples import SAMPLE_CONTEXTS, sample_facts

app = typer.Typer(help="Messages to members: preview templates.", no_args_is_help=True)


@app.command()
def preview(
    template: Annotated[str, typer.Argument(help="a template name (see `samen notify templates`)")],
    lang: Annotated[str, typer.Option("--lang", help="nl or en")] = "nl",
    html: Annotated[bool, typer.Option("--html", help="print the HTML part")] = False,
    sample: Annotated[int, typer.Option(help="which sample (variants of one template)")] = 1,
) -> None:
    """Render one template with sample data."""
    try:
        chosen = Template(template)
    except ValueError as exc:
        names = ", ".join(t.value for t in Template)
        raise typer.BadParameter(f"unknown template; one of: {names}") from exc
    if lang not in LANGUAGES:
        raise typer.BadParameter("--lang must be nl or en")
    samples = sample_facts(chosen, lang)
    if not 1 <= sample <= len(samples):
        raise typer.BadParameter(f"--sample must be 1..{len(samples)}")
    rendered = Renderer().render(chosen.value, lang, message_context(samples[sample - 1]))
    typer.echo(f"Subject: {rendered.subject}\n")
    typer.echo(rendered.html if html else rendered.text)


@app.command()
def templates() -> None:
    """List the templates and how many samples each has."""
    for template in Template:
        typer.echo(f"{template.value:<20} {len(SAMPLE_CONTEXTS[template])} sample(s)")


COMMANDS = {"notify": app}
