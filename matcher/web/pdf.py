"""HTML pages as A4 PDF files, made by WeasyPrint (Pango and HarfBuzz shape Arabic and
Ethiopic), from the same template and stylesheets as the browser's print view.

WeasyPrint fetches nothing from the network: its URL fetcher serves only files of the app's
own static folder, found by path, and refuses every other URL. The PDF's fonts are whole
Noto TrueType files in `matcher/static/fonts/pdf/` (css/pdf.css): Pango draws wrong glyphs
when one family is split over several unicode-range files, as the browser's fonts.css is.
"""

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, make_response, request, url_for
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from matcher.domain.errors import Refused

log = logging.getLogger(__name__)

#: What each static file is, for WeasyPrint (it reads the fonts and stylesheets by type).
MIME_TYPES = {".css": "text/css", ".ttf": "font/ttf", ".png": "image/png", ".svg": "image/svg+xml"}


class _ScreenMediaQueries(logging.Filter):
    """WeasyPrint warns, for every PDF, that it skips documents.css's screen-width @media
    rules (it knows media types only): expected, so not logged. Other warnings (a refused
    URL, a broken rule) still are."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("media type" in message and "width:" in message)


logging.getLogger("weasyprint").addFilter(_ScreenMediaQueries())


class RefusedURL(ValueError):
    """WeasyPrint asked for something that is not a file of the app's static folder."""


def static_prefix() -> str:
    """The absolute URL under which this request's app serves its static files."""
    return request.host_url.rstrip("/") + url_for("static", filename="")


def local_static_file(url: str, prefix: str, folder: str) -> Path:
    """The file of `folder` that `url` names under `prefix`; RefusedURL for anything else:
    another host or scheme, a path outside the folder, a file that does not exist."""
    parts = urlsplit(url)
    bare = parts._replace(query="", fragment="").geturl()
    if not bare.startswith(prefix) or parts.scheme not in ("http", "https"):
        raise RefusedURL(f"not a local static file: {url[:200]}")
    name = safe_join(folder, unquote(bare[len(prefix) :]))
    if name is None or not Path(name).is_file():
        raise RefusedURL(f"not a local static file: {url[:200]}")
    return Path(name)


def _fetcher(prefix: str, folder: str) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # heavy: load on first PDF

    class LocalStaticFetcher(URLFetcher):
        """Serves the app's static files from disk; never opens a connection."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = local_static_file(url, prefix, folder)
            mime = MIME_TYPES.get(path.suffix, "application/octet-stream")
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return LocalStaticFetcher(allowed_protocols=("http", "https"))


def url_fetcher() -> Any:
    """WeasyPrint's URL fetcher for this request: the app's static files, nothing else."""
    folder = current_app.static_folder
    assert folder is not None
    return _fetcher(static_prefix(), folder)


def render(html: str) -> bytes:
    """The page as PDF (its stylesheets' @page rules give the size: A4)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:  # Pango missing on this server: say so, no 500
        log.warning("PDF unavailable: %s", e)
        raise Refused("pdf_unavailable") from e

    document = HTML(string=html, base_url=request.url, url_fetcher=url_fetcher())
    return bytes(document.write_pdf())


def download(html: str, filename: str) -> Response:
    """The page as a PDF attachment named `filename` (ASCII: letters, digits, - _ .)."""
    assert filename.isascii() and all(c.isalnum() or c in "-_." for c in filename), filename
    response = make_response(render(html))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
