"""Issue 21, item 4: one typing.Protocol holds the backend ``rank`` signature; every backend follows it."""
from __future__ import annotations

import inspect

import pytest

from fairaudit.backends import Backend, LocalBackend, get_backend
from fairaudit.recommenders.base import rank


def _params(fn) -> list[tuple[str, object, object]]:
    sig = inspect.signature(fn)
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


def _follows(fn) -> None:
    want, have = _params(Backend.rank), _params(fn)
    positional = [p for p in want if p[1] is not inspect.Parameter.KEYWORD_ONLY]
    assert have[:len(positional)] == positional, f"{fn.__qualname__}: positional parameters differ from Backend.rank"
    keyword = {p[0]: p for p in want if p[1] is inspect.Parameter.KEYWORD_ONLY}
    have_kw = {p[0]: p for p in have if p[1] is inspect.Parameter.KEYWORD_ONLY}
    for name, p in keyword.items():
        assert have_kw.get(name) == p, f"{fn.__qualname__}: keyword {name!r} differs from Backend.rank"


def test_local_backend_follows_the_protocol():
    assert Backend in LocalBackend.__mro__ and isinstance(get_backend("local"), Backend)
    _follows(LocalBackend.rank)


def test_ray_backend_follows_the_protocol():
    ray_mod = pytest.importorskip("fairaudit.backends.ray")
    assert Backend in ray_mod.RayBackend.__mro__
    _follows(ray_mod.RayBackend.rank)


def test_the_shared_rank_function_takes_the_protocol_parameters():
    """recommenders.base.rank (what LocalBackend calls) takes the protocol's parameters by the same names."""
    names = {p[0] for p in _params(rank)}
    assert {p[0] for p in _params(Backend.rank)} <= names
