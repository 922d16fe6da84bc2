"""Readiness and metrics for operators: /readyz (public, no personal data), /metrics (token)."""

import hmac

from flask import abort, current_app, request
from werkzeug.wrappers import Response

from matcher import metrics
from matcher.services.platform import readiness
from matcher.web.public import bp


@bp.route("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    """200 with every check when this instance can do its work; 503 with the failing ones."""
    checks = readiness.checks()
    failing = {c.name: c.reason for c in checks if not c.ok}
    body: dict[str, object] = {
        "status": "unavailable" if failing else "ok",
        "checks": {c.name: c.as_dict() for c in checks},
    }
    if failing:
        body["failing"] = failing
    return body, 503 if failing else 200


@bp.route("/metrics", endpoint="metrics")
def metrics_page() -> Response:
    """Prometheus' text format for `Authorization: Bearer <METRICS_TOKEN>` (404 when unset)."""
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        return Response(
            "A bearer token is required.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    return Response(metrics.exposition(), 200, {"Content-Type": metrics.CONTENT_TYPE})
