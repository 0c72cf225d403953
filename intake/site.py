"""The site's front door: ``/`` for staff who type the address, and what crawlers may read.

Patients never come here: their link takes them straight to their own
pages, so ``/`` says nothing about them (not even that a link exists).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

bp = Blueprint("site", __name__)

# No page of this service belongs in a search engine: patient links carry a
# secret, and staff pages are for staff. Sent as a header on every answer too.
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


@bp.get("/")
def home() -> ResponseReturnValue:
    """A plain page pointing staff to the sign-in (a signed-in member goes to their start page)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    return render_template("site/home.html")


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    return Response(ROBOTS_TXT, mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """No icon: an empty answer, so browsers stop asking (and logging a 404)."""
    return Response(status=204)
