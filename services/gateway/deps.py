"""What the routes depend on, as `Annotated` aliases (fastapi full-stack template style)."""

from typing import Annotated

from fastapi import Depends, Request
from faststream.nats import NatsBroker

from shared.rpc import RpcClient
from shared.settings import Settings


def get_broker(request: Request) -> NatsBroker:
    return request.app.state.broker


def get_rpc(request: Request) -> RpcClient:
    return request.app.state.rpc


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


BrokerDep = Annotated[NatsBroker, Depends(get_broker)]
RpcDep = Annotated[RpcClient, Depends(get_rpc)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
