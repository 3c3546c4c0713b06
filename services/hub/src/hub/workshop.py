"""Workshop: the sessions this parent can book, booking, their booking, cancelling, the waitlist
and follow-up consent. Built on the workshops service's parent API (`/me/...`)."""

from fastapi import APIRouter

router = APIRouter(prefix="/workshop")
