"""The public verification page of electronic certificates: /verify/{code}, the address a
certificate's QR code carries. It says valid or revoked, what the certificate is, who issued
it and when, and nothing personal (no holder, no number, no case)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from domain.text import Text
from receipts.verification import CODE_PATTERN, certificate_status
from routers.deps import CatalogDep, SessionDep
from web.common import not_found, render

router = APIRouter(include_in_schema=False)
Code = Annotated[str, Path(pattern=CODE_PATTERN)]
WORDS = {
    "title": Text(zh="电子证照核验", en="Certificate verification"),
    "valid": Text(zh="有效：该证照由下列部门签发，目前有效", en="Valid: issued as below, in force"),
    "revoked": Text(zh="已撤销：该证照已失效", en="Revoked: this certificate is no longer valid"),
    "certificate": Text(zh="证照", en="Certificate"),
    "department": Text(zh="发证部门", en="Issued by"),
    "issued": Text(zh="发证日期", en="Date of issue"),
    "revoked_at": Text(zh="撤销日期", en="Revoked on"),
    "privacy": Text(
        zh="本页不显示持证人等个人信息", en="This page shows no personal data of the holder"
    ),
}


@router.get("/verify/{code}")
def verify_page(code: Code, request: Request, session: SessionDep, catalog: CatalogDep) -> Response:
    """Valid or revoked, for anyone holding the certificate (404 for an unknown code)."""
    status = certificate_status(session, catalog, code)
    if status is None:
        raise not_found()
    return render(request, "verify.html", {"status": status, "w": WORDS})
