"""PDF rendering with WeasyPrint, from a self-contained HTML document.

The document carries its own styles, so rendering never fetches anything:
the URL fetcher refuses every request.

The PDF is tagged (PDF/UA-1): a structure tree of headings, lists and tables
that screen readers follow, marked content, the document language (from the
document's ``<html lang>``) and a title that viewers show instead of the file
name.
"""

from __future__ import annotations

import logging
from typing import NoReturn

# WeasyPrint's variant for accessible PDFs: tags, /Lang, DisplayDocTitle.
PDF_VARIANT = "pdf/ua-1"

# WeasyPrint reports every layout step at INFO; the app's log is for its own events.
logging.getLogger("weasyprint").setLevel(logging.WARNING)


class FetchRefusedError(RuntimeError):
    """The PDF document tried to load something; it must be self-contained."""


def _refuse(url: str, *args: object, **kwargs: object) -> NoReturn:
    raise FetchRefusedError(url[:40])


def render(html: str, *, title: str) -> bytes:
    """Return ``html`` rendered as a tagged PDF (A4, as the document's CSS says)."""
    # Imported on first use: loading WeasyPrint (Pango, fonts) takes a moment
    # that pages other than the PDF should not pay at start-up.
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=_refuse).render()
    document.metadata.title = title
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    return pdf
