"""The app factory: config, logging, extensions, blueprints, handlers and commands."""

from __future__ import annotations

import logging.config
from importlib import import_module
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    has_request_context,
    render_template,
    request,
    session,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, RequestURITooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from intake import bad_input, clock, errors, log_redaction, phone, request_log, unit_of_work
from intake import config as config_module
from intake.auth.loader import load_user
from intake.extensions import (
    babel,
    csrf,
    db,
    fragments,
    init_migrations,
    limiter,
    login_manager,
    mail,
)
from intake.paging import href_for
from intake.wording import LOCALE_SESSION_KEY, SUPPORTED_LOCALES, patient_text

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

# Set once the first app is built: configuring logging is the factory's job, not
# an import's, so importing any part of intake (the screening core, a model)
# leaves the caller's logging alone.
_logging_configured = False


def configure_logging() -> None:
    """Configure logging once per process, before the first app exists."""
    global _logging_configured  # noqa: PLW0603 - once per process, as at import before
    if _logging_configured:
        return
    # Configured before the app exists (Flask's logging docs). Messages carry ids
    # and codes only: never names, dates of birth, answers or link tokens.
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            # One JSON object per line (intake.request_log), for a log collector.
            "formatters": {"json": {"()": request_log.JsonFormatter}},
            # Link tokens, query strings and rows cut out of whatever reaches
            # the handler (intake.log_redaction; also on the loggers, below);
            # each line written during a request carries its request id.
            "filters": {
                "redact": {"()": log_redaction.RedactFilter},
                "request_id": {"()": request_log.RequestIdFilter},
            },
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr",
                    "formatter": "json",
                    "filters": ["redact", "request_id"],
                }
            },
            "root": {"level": "INFO", "handlers": ["stderr"]},
            "loggers": {
                # Werkzeug's access log is the development server's; quiet by
                # default, and redacted when someone turns it up.
                "werkzeug": {"level": "WARNING"},
                # Alembic, imported only when a db command runs (so after this),
                # announces each of its plugins at INFO.
                "alembic.runtime.plugins": {"level": "WARNING"},
            },
        }
    )
    _logging_configured = True


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, handlers and commands."""
    configure_logging()
    # On the loggers themselves, every time: a logger's filter sees each record
    # it makes before any handler does, including handlers added after
    # configure_logging (a test's, an operator's own dictConfig).
    log_redaction.install()
    app = Flask(
        # The package, not this module: keeps the app's name (its logger is
        # "intake"), root path and instance folder what they were.
        "intake",
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config_module.load(app.config, Path(app.instance_path), test_config)
    proxies = app.config["INTAKE_TRUSTED_PROXIES"]
    if proxies:
        # Trust exactly that many X-Forwarded-For/-Proto/-Host values, so the
        # rate limits see the client's address and url_for the public scheme.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    register_extensions(app)
    register_blueprints(app)
    register_handlers(app)
    from intake import cli

    cli.register(app)
    return app


def select_locale() -> str | None:
    """Return the language of this request's page: the patient's, or English for staff.

    A patient's page speaks the language they chose with the switch (kept in
    their session), else the best one their browser's ``Accept-Language``
    asks for, else English. Staff pages, the API and commands stay English.
    """
    if not has_request_context():  # a command or a job: the default language
        return None
    if not is_patient_request():
        return "en"
    chosen = session.get(LOCALE_SESSION_KEY)
    if chosen in SUPPORTED_LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en"


def is_patient_request() -> bool:
    """Return whether this request reached (or tried to reach) a patient page."""
    from intake.auth.access import Open, access_for

    endpoint = request.endpoint
    if endpoint is None:
        # No route matched (a 404): a mistyped intake address is still the patient's.
        return request.path.startswith(("/i/", "/intake/"))
    return access_for(endpoint) is Open.PATIENT


def register_extensions(app: Flask) -> None:
    # First: its request line then times every other hook, the commit included.
    request_log.init_app(app)
    db.init_app(app)
    unit_of_work.init_app(app)
    init_migrations(app)
    bad_input.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    mail.init_app(app)
    fragments.init_app(app)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["href_for"] = href_for
    # A rule set's question or aftercare text in the page's language (its data).
    app.jinja_env.globals["patient_text"] = patient_text
    app.jinja_env.globals["is_patient_request"] = is_patient_request

    @app.context_processor
    def endpoints() -> dict[str, Any]:
        # Lets the staff navigation show only links whose feature is installed.
        return {"endpoints": app.view_functions, **clock.template_helpers()}

    app.add_template_filter(lambda moment: clock.when(moment, "stamp"), "staff_when")
    # A date input may only be given back a real date (browsers blank anything else).
    app.add_template_test(clock.is_iso_date, "iso_date")
    # The clinic's phone, never wrapped (templates/_clinic.html).
    phone.init_app(app)


def register_blueprints(app: Flask) -> None:
    from intake import health
    from intake.auth import access

    access.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(import_module("intake.site").bp)
    # Feature blueprints, one line each:
    app.register_blueprint(import_module("intake.patients.views").bp)
    app.register_blueprint(import_module("intake.auth.views").bp)
    import_module("intake.admin.tokens")  # its pages join the admin blueprint
    app.register_blueprint(import_module("intake.admin.views").bp)
    app.register_blueprint(import_module("intake.review.views").bp)
    app.register_blueprint(import_module("intake.frontdesk.views").bp)
    app.register_blueprint(import_module("intake.api.views").bp)
    app.register_blueprint(import_module("intake.mail.views").bp)


ERROR_CODES = (400, 401, 403, 404, 405, 410, 413, 414, 423, 429, 500, 503)


def error_message(error: HTTPException) -> str | None:
    """The sentence an error page shows under its title, where the title is not enough."""
    if isinstance(error, bad_input.BadInput | RequestURITooLarge):
        return error.description
    if error.code == 413:
        return str(
            gettext(
                "What was sent is larger than this page accepts (at most %(size)s KB). "
                "Nothing was saved. Please go back, shorten the text and try again.",
                size=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024,
            )
        )
    if error.code == 400:
        return str(gettext("Nothing was saved. Please go back and try again."))
    if error.code == 405:
        return str(
            gettext("This page cannot do that. Please use the page's own links and buttons.")
        )
    return None


def register_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = gettext(
            "This form was open too long or was sent from somewhere else. "
            "Nothing was saved; please go back, reload the page and try again."
        )
        return render_template("errors/error.html", code=400, message=message), 400

    def database_unreachable(error: Exception) -> ResponseReturnValue:
        if not errors.is_database_unreachable(error):
            raise error  # a failed statement is a bug: Flask's 500 path logs it
        return errors.database_unreachable(error)

    app.register_error_handler(sa_exc.DBAPIError, database_unreachable)

    def http_error(error: HTTPException) -> ResponseReturnValue:
        if errors.is_database_unreachable(error):
            # Raised after the view (the unit of work's commit): Flask hands
            # it to the 500 handler, wrapped.
            return database_unreachable(error)
        if error.code == 429:
            # Worded per audience (patient, staff, API), with Retry-After.
            return errors.too_many_requests(errors.retry_after_seconds())
        if request.path.startswith("/api/"):
            # Even where no API route matched (a path the router cannot
            # parse), an API client gets JSON, never an HTML page.
            from intake.api.views import json_error

            return json_error(error)
        code = error.code or 500
        message = error_message(error)
        return render_template("errors/error.html", code=code, message=message), code

    for code in ERROR_CODES:
        app.register_error_handler(code, http_error)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        # Nothing here is for search engines (see intake.site.ROBOTS_TXT).
        headers.setdefault("X-Robots-Tag", "noindex, nofollow")
        if not request.path.startswith("/static/"):
            # Pages hold health data: no browser or proxy may keep a copy.
            headers["Cache-Control"] = "no-store"
        return response


__all__ = ["create_app"]
