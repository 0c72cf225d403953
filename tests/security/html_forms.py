"""Read the forms a page offers (action, method, fields), as a browser would submit them."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    # Field name -> the values the page would submit untouched (first radio
    # or option, hidden values, typed defaults).
    fields: dict[str, list[str]] = field(default_factory=dict)
    # Field name -> input type ("text", "date", "datetime-local", "textarea", ...).
    types: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page_url
            self._form = Form(action.split("#")[0], (a.get("method") or "get").upper())
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        kind = a.get("type", "text") if tag == "input" else tag
        if kind in {"submit", "button", "image", "reset"}:
            return
        values = self._form.fields.setdefault(name, [])
        self._form.types.setdefault(name, kind)
        if tag == "select":
            self._select = name
        elif kind in {"radio", "checkbox"}:
            if not values and (kind == "radio" or "checked" in a):
                values.append(a.get("value", "on"))
        elif tag == "input" and a.get("value"):
            values.append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


class _OptionAware(_FormParser):
    """Also take a select's first non-empty option as its value."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "option" and self._form is not None and self._select is not None:
            values = self._form.fields[self._select]
            value = dict(attrs).get("value")
            if not values and value:
                values.append(value)
            return
        super().handle_starttag(tag, attrs)


def forms_on(html: str, page_url: str) -> list[Form]:
    """Return every form on ``html`` (a page served at ``page_url``)."""
    parser = _OptionAware(page_url)
    parser.feed(html)
    return parser.forms
