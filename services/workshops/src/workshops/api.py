"""HTTP routes of the workshops service."""

from fastapi import APIRouter

router = APIRouter()
