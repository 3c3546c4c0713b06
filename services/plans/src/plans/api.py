"""HTTP routes of the plans service."""

from fastapi import APIRouter

router = APIRouter()
