"""matcher: volunteers and newcomers, matched for Patenschaft programmes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine (matcher.engine) must import without Flask
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; reads like a table of contents."""
    from flask import Flask

    from matcher import config

    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    register_logging(app)
    register_proxy(app)
    register_admission(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    register_observability(app)
    return app


def register_logging(app: Flask) -> None:
    """Log lines on stderr, as text or JSON (`LOG_FORMAT`), each with its request id."""
    from matcher import logs

    logs.configure(app)


def register_proxy(app: Flask) -> None:
    """Behind a reverse proxy, take the client's address and scheme from X-Forwarded-*."""
    hops = int(app.config["TRUST_PROXY"])
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def register_admission(app: Flask) -> None:
    """Shed load: a bounded number of requests in the app per process, the rest a quick 503."""
    from matcher.web import admission

    admission.install(app)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from matcher import database, i18n, jobs, ratelimits
    from matcher.extensions import babel, csrf, db, limiter, login_manager, migrate
    from matcher.web import session_cookie

    session_cookie.install(app)  # the cookie is encrypted, not only signed (I3)
    database.engine_options(app)
    db.init_app(app)
    database.configure(app)
    migrate.init_app(app, db, directory=str(database.MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    ratelimits.storage_options(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    jobs.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per audience."""
    from matcher.web import admin, auth, coordinator, public, volunteer
    from matcher.web.converters import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(coordinator.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(volunteer.bp)


def register_errorhandlers(app: Flask) -> None:
    """Render errors as friendly pages in the user's language."""
    from matcher.web import errors

    errors.register(app)


def register_request_hooks(app: Flask) -> None:
    """Scope every request to the user's agency and set safe response headers."""
    from matcher.web import hooks

    hooks.register(app)


def register_template_helpers(app: Flask) -> None:
    """Add the filters and globals templates use."""
    from matcher.web import templating

    templating.register(app)


def register_commands(app: Flask) -> None:
    """Add the `flask` commands."""
    from matcher import cli

    cli.register(app)


def register_observability(app: Flask) -> None:
    """Around every request: its id, its metrics, its log line (the outermost layer)."""
    from matcher.web import observe

    observe.register(app)
