"""The bare FastAPI endpoint the gateway is compared with."""

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Hello(BaseModel):
    hello: str


@app.get("/hello")
async def hello() -> Hello:
    return Hello(hello="world")
