"""HTTP routes of the referrals service."""

from fastapi import APIRouter

router = APIRouter()
