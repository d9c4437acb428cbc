"""`python -m examples.noticeboard`: the notice board on SAMEN_HTTP_HOST:SAMEN_HTTP_PORT."""

import uvicorn

from examples.noticeboard.app import NoticeBoard, create_app

if __name__ == "__main__":
    noticeboard = NoticeBoard()
    uvicorn.run(
        create_app(noticeboard),
        host=noticeboard.settings.http_host,
        port=noticeboard.settings.http_port,
        log_config=None,
        access_log=False,
    )
