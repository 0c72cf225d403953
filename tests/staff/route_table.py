"""Every registered route, read from an app's url_map, for parametrized tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask, url_for
from werkzeug.routing import IntegerConverter, Rule, UUIDConverter

from intake import create_app

_PREFERRED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    method: str

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"

    def url(self, app: Flask) -> str:
        """Build a URL for this rule, with a plausible value for each argument."""
        rule = next(r for r in app.url_map.iter_rules(self.endpoint) if r.rule == self.rule)
        values = {name: _sample(rule, name) for name in rule.arguments}
        with app.test_request_context():
            return url_for(self.endpoint, **values)


def _sample(rule: Rule, name: str) -> object:
    converter = rule._converters[name]
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=1)
    if name == "filename":
        return "css/app.css"
    return "x"


def collection_app() -> Flask:
    """An app built only to read its routes (no database is opened)."""
    return create_app(
        {"TESTING": True, "SECRET_KEY": "collect", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )


def routes(methods: tuple[str, ...] = _PREFERRED_METHODS) -> list[Route]:
    """One :class:`Route` per rule: its first method in ``methods`` order."""
    found = []
    for rule in collection_app().url_map.iter_rules():
        allowed = rule.methods or set()
        method = next((m for m in methods if m in allowed), None)
        if method is not None:
            found.append(Route(rule.endpoint, rule.rule, method))
    return sorted(found, key=lambda r: (r.rule, r.method))


def post_routes() -> list[Route]:
    found = []
    for rule in collection_app().url_map.iter_rules():
        if "POST" in (rule.methods or set()):
            found.append(Route(rule.endpoint, rule.rule, "POST"))
    return sorted(found, key=lambda r: r.rule)
