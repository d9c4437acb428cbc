"""Every string, list and dict a client or a service can send is bounded: a walk over every
model of the API (services/gateway/schemas/) and of the contracts (shared/contracts/) that
fails on a field without a `max_length`, so a new field cannot forget one. The modules are
found by walking both packages, so a model in a new module is walked too."""

import enum
import importlib
import inspect
import pkgutil
import types
from datetime import date, datetime
from types import ModuleType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from services.gateway import schemas
from shared import contracts


def modules_of(package: ModuleType) -> list[ModuleType]:
    names = [package.__name__] + [
        info.name for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    ]
    return [importlib.import_module(name) for name in names]


MODULES = (*modules_of(schemas), *modules_of(contracts))
SAFE = (bool, int, float, datetime, date, type(None))


def models() -> list[type[BaseModel]]:
    found = []
    for module in MODULES:
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseModel) and value.__module__ == module.__name__:
                found.append(value)
    return found


def bounded(metadata: list[Any]) -> bool:
    return any(getattr(m, "max_length", None) is not None for m in metadata)


def flatten(extra: tuple[Any, ...]) -> list[Any]:
    found: list[Any] = []
    for item in extra:
        found.append(item)
        found.extend(getattr(item, "metadata", []))
    return found


def unbounded(annotation: Any, metadata: list[Any], where: str, seen: set[Any]) -> list[str]:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return unbounded(base, metadata + flatten(tuple(extra)), where, seen)
    if origin in (Union, types.UnionType):
        return [p for arg in get_args(annotation) for p in unbounded(arg, metadata, where, seen)]
    if origin is Literal or annotation in SAFE:
        return []
    if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        return []
    if annotation is str:
        return [] if bounded(metadata) else [f"{where}: str"]
    if origin in (list, set, frozenset, tuple, dict):
        problems = [] if bounded(metadata) else [f"{where}: {origin.__name__}"]
        for n, arg in enumerate(get_args(annotation)):
            if arg is not Ellipsis:
                problems += unbounded(arg, [], f"{where}[{n}]", seen)
        return problems
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return walk(annotation, seen)
    return [f"{where}: {annotation!r} (not known to be bounded)"]


def walk(model: type[BaseModel], seen: set[Any]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    problems = []
    for name, field in model.model_fields.items():
        problems += unbounded(
            field.annotation,
            list(field.metadata),
            f"{model.__module__}.{model.__name__}.{name}",
            seen,
        )
    return problems


def test_the_walk_finds_an_unbounded_field() -> None:
    class Loose(BaseModel):
        name: str
        tags: list[Annotated[str, "no bound"]]

    assert len(walk(Loose, set())) == 3


@pytest.mark.parametrize("model", models(), ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_every_string_list_and_dict_has_a_bound(model: type[BaseModel]) -> None:
    assert walk(model, set()) == []
