"""The notice board as a running plug-in: events in, a printable page out.

    SAMEN_PLUGIN_COOPERATIVE=utrecht-overvecht SAMEN_PLUGIN_NAME=noticeboard \\
    SAMEN_PLUGIN_AREA=WK034403 \\
    SAMEN_NATS_PASSWORD=... NATS_URL=nats://... python -m examples.noticeboard

GET /            the sheet as HTML (refreshes itself every minute; print it from the browser)
GET /sheet.pdf   the same sheet as an A4 PDF        (?lang=en for English)
GET /healthz     the plug-in is up

It runs as the NATS user plugin-noticeboard-<cooperative> and reads its area's events through
its own durable consumer of that name, which the operator created (`samen plugin provision`),
so it sees its area's history on the first start and nothing of other areas ever. Whenever the board
changes it publishes `samen.ext.<cooperative>.noticeboard.updated` with the number of open
requests.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response

from examples.noticeboard.board import EVENTS, Board
from examples.noticeboard.render import Sheet, html, pdf, sheet
from shared.clock import Clock, SystemClock
from shared.events import Envelope
from shared.plugin import Plugin, PluginSettings

Language = Annotated[str, Query(pattern="^(nl|en)$")]


class NoticeBoard:
    """The plug-in part: keeps the board up to date from the area's events."""

    def __init__(
        self,
        settings: PluginSettings | None = None,
        *,
        board: Board | None = None,
        clock: Clock | None = None,
        durable: bool = True,
    ) -> None:
        self.plugin = Plugin(settings=settings or PluginSettings(), durable=durable)
        self.settings = self.plugin.settings
        self.clock = clock or SystemClock()
        self.board = board or Board(
            self.settings.data_dir / f"noticeboard-{self.plugin.cooperative}.db"
        )
        self.plugin.on(*EVENTS)(self.on_event)

    @property
    def area(self) -> str:
        return self.plugin.area.most_specific() or ""

    async def on_event(self, event: Envelope, _: object) -> None:
        if self.board.apply(event):
            count = len(self.board.open_requests())
            self.plugin.log.info("notice board updated", event_type=event.type, open=count)
            await self.plugin.publish("noticeboard", "updated", payload={"open": count})

    def html(self, language: str = "nl") -> str:
        return html(self._sheet(language))

    def pdf(self, language: str = "nl") -> bytes:
        return pdf(self._sheet(language))

    def _sheet(self, language: str) -> Sheet:
        return sheet(
            self.board.open_requests(), area=self.area, language=language, now=self.clock.now()
        )


def create_app(noticeboard: NoticeBoard | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nb = noticeboard or NoticeBoard()
        app.state.noticeboard = nb
        await nb.plugin.start()
        try:
            yield
        finally:
            await nb.plugin.stop()

    app = FastAPI(title="Notice board", lifespan=lifespan)

    @app.get("/", response_class=HTMLResponse)
    async def page(lang: Language = "nl") -> HTMLResponse:
        nb: NoticeBoard = app.state.noticeboard
        return HTMLResponse(nb.html(lang))

    @app.get("/sheet.pdf")
    async def sheet_pdf(lang: Language = "nl") -> Response:
        nb: NoticeBoard = app.state.noticeboard
        return Response(
            nb.pdf(lang),
            media_type="application/pdf",
            headers={"Content-Disposition": 'inline; filename="hulpvragen.pdf"'},
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
