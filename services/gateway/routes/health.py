"""Liveness and readiness for people and container orchestrators."""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.gateway.deps import BrokerDep, RpcDep
from shared.contracts.verbs import health
from shared.errors import SamenError

router = APIRouter(tags=["health"])

SERVICES = ("registry", "matching", "notify")


class Liveness(BaseModel):
    """The gateway process answers."""

    status: str


class Readiness(BaseModel):
    """Whether the gateway can serve, and the state of each part it needs."""

    status: str
    parts: dict[str, str]


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Liveness:
    """The process is up."""
    return Liveness(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(broker: BrokerDep, rpc: RpcDep) -> JSONResponse:
    """NATS is reachable and every service answered its health check."""
    parts: dict[str, str] = {}
    connected = broker.connection.is_connected if broker._connection else False
    parts["nats"] = "ok" if connected else "down"

    async def check(service: str) -> str:
        if not connected:
            return "unknown"
        try:
            answer = await rpc.call(health(service), timeout=2.0)
        except SamenError as exc:
            return f"down: {exc.message}"
        return answer.status

    results = await asyncio.gather(*(check(s) for s in SERVICES))
    parts.update(zip(SERVICES, results, strict=True))
    ready = all(state == "ok" for state in parts.values())
    body = Readiness(status="ready" if ready else "not ready", parts=parts)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
