"""HTTP routes of the notifications service."""

from fastapi import APIRouter

router = APIRouter()
