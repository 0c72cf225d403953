"""The acknowledgment as a PDF (WeasyPrint), read back with pypdf."""

from __future__ import annotations

import io
import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from intake.audit import Action
from intake.extensions import db
from intake.models import AuditEvent, Role
from intake.screening import AFTERCARE, QUESTIONS_BY_ID, aftercare_hash
from tests.conftest import make_appointment, make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")

SECRET_DETAILS = "hives after lidocaine at the dentist"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ADMIN])
def test_the_pdf_carries_the_text_hash_the_typed_name_and_no_answers(client, role):
    login_as(client, make_user(role))
    appointment, intake = make_submitted(
        {"numbing_allergy": "yes", "numbing_allergy_details": SECRET_DETAILS},
        signature_name="Robin Q. Example",
        dob="1988-02-29",
    )

    response = client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment.pdf")

    assert response.status_code == HTTPStatus.OK
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="acknowledgment-{appointment.id}.pdf"'
    )
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    flat = "".join(text.split())  # the hash may wrap across lines
    assert intake.acknowledgment.text_hash == aftercare_hash()
    assert aftercare_hash() in flat
    assert "Robin Q. Example" in text
    # The date of birth is never shown back to the front desk (issue 11).
    assert "Robin Example" in text and "1988-02-29" not in text
    assert "Your skin will look red afterwards." in " ".join(text.split())
    assert intake.acknowledgment.signed_at.isoformat(timespec="seconds") in flat
    assert SECRET_DETAILS not in text
    flowing = " ".join(text.split())
    assert QUESTIONS_BY_ID["numbing_allergy"].text not in flowing
    assert "Reaction to numbing cream" not in flowing and "NUMBING_ALLERGY" not in flat
    assert PdfReader(io.BytesIO(data)).metadata.title == "Aftercare acknowledgment"
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == Action.ACKNOWLEDGMENT_PRINTED.value)
    ).scalar_one()
    assert (event.target_id, event.detail["format"]) == (appointment.id, "pdf")


def test_no_pdf_before_signing_and_none_for_clinicians(client):
    login_as(client, make_user(Role.FRONT_DESK))
    appointment, _ = make_appointment()
    url = f"/frontdesk/appointments/{appointment.id}/acknowledgment.pdf"
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    login_as(client, make_user(Role.CLINICIAN))
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def _structure_types(node, found: list[str]) -> list[str]:
    """Collect the structure types (/S) of the tagged PDF's tree, depth first."""
    node = node.get_object()
    if "/S" in node:
        found.append(str(node["/S"]))
    kids = node.get("/K")
    for each in kids if isinstance(kids, list) else [kids]:
        kid = each.get_object() if hasattr(each, "get_object") else each
        if isinstance(kid, dict) and ("/S" in kid or "/K" in kid):
            _structure_types(kid, found)
    return found


def test_the_pdf_is_tagged_with_its_language_and_title_and_reads_each_item_in_order(client):
    login_as(client, make_user(Role.FRONT_DESK))
    appointment, _intake = make_submitted()

    data = client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment.pdf").get_data()

    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert catalog["/Lang"] == "en"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "Aftercare acknowledgment"
    types = _structure_types(catalog["/StructTreeRoot"], [])
    assert "/H1" in types and "/Table" in types
    assert types.count("/LI") == len(AFTERCARE)  # one list item per aftercare point
    # Each number is read with its item, not as a column of bare numbers after them.
    flowing = " ".join(pdf_text(data).split())
    for number, item in enumerate(AFTERCARE, start=1):
        assert f"{number}. {item.title}. {' '.join(item.text.split())}" in flowing
    assert re.search(r"(^|\s)\d+\.(\s+\d+\.)+(\s|$)", pdf_text(data)) is None
