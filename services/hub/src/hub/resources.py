"""Help for separated parents from national organisations, open to anyone, signed in or not.
Names, what they offer and their public addresses; the words are translated in the catalogs."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.web import render

router = APIRouter()


@router.get("/resources")
async def resources(request: Request) -> Response:
    return render(request, "resources.html")


@router.get("/accessibility")
async def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html")
