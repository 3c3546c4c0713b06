"""HTTP routes of the learning service."""

from fastapi import APIRouter

router = APIRouter()
