"""What the log lines say of a request: the route's template, never the path with its ids;
and which format the services write."""

from types import SimpleNamespace

import pytest

from shared.logging import route_template
from shared.settings import Settings


def scope(path: str, route: str | None) -> dict[str, object]:
    return {"path": path, "route": None if route is None else SimpleNamespace(path=route)}


@pytest.mark.parametrize(
    ("path", "route", "logged"),
    [
        (
            "/api/v1/requests/0190a5b2-7c3d",
            "/requests/{request_id}",
            "/api/v1/requests/{request_id}",
        ),
        ("/api/v1/auth/register", "/auth/register", "/api/v1/auth/register"),
        ("/api/v1/requests/", "/requests/", "/api/v1/requests/"),
        ("/board/members/m-1", "/board/members/{member_id}", "/board/members/{member_id}"),
        ("/", "/", "/"),
        ("/static/app.css", "/static/{path:path}", "/static/{path:path}"),
        ("/nowhere/m-1", None, "unmatched"),
    ],
)
def test_a_request_is_logged_by_its_route_template(
    path: str, route: str | None, logged: str
) -> None:
    assert route_template(scope(path, route)) == logged


def test_json_lines_in_production_or_when_asked() -> None:
    assert Settings(env="production").logs_json()
    assert not Settings(env="development").logs_json()
    assert Settings(env="development", log_format="json").logs_json()
    assert not Settings(env="production", log_format="console").logs_json()
