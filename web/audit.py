"""The auditor's page: the audit trail with the same filters as GET /api/v1/audit.

For the `auditor` role alone (not admin: audit administration is apart from system
administration); each read is itself recorded (audit.view). Nothing here changes the trail.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from middleware.bounds import MAX_ID, QueryDay, day_query
from routers.audit import Auditor, audit_page
from routers.deps import SessionDep
from store.models import Role, User
from web.common import render, signed_in

router = APIRouter(include_in_schema=False)
AuditorUser = Annotated[User, Depends(signed_in(Role.auditor))]
PAGE = 100


@router.get("/audit")
def audit_trail_page(
    request: Request,
    user: AuditorUser,
    session: SessionDep,
    start: Annotated[QueryDay, day_query("First day", alias="from")] = None,
    to: Annotated[QueryDay, day_query("Last day")] = None,
    actor: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    object: Annotated[str, Query(max_length=128)] = "",
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """The trail in chain order, filtered by day (UTC), actor, action and object id."""
    page = audit_page(
        session, start, to, actor or None, action or None, object or None, after, PAGE
    )
    filters = {
        "from": start.isoformat() if start else "",
        "to": to.isoformat() if to else "",
        "actor": actor,
        "action": action,
        "object": object,
    }
    Auditor(request, session).record(
        user, "audit.view", object_type="audit", detail=f"{len(page.events)} rows"
    )
    next_url = None
    if page.next_after is not None:
        next_url = f"/audit?{urlencode({**filters, 'after': page.next_after})}"
    context = {"events": page.events, "filters": filters, "next_url": next_url}
    return render(request, "audit.html", context, user=user)
