"""Parenting plan ("Our Child's Plan"), for parents on the course and for anyone at `/plan`.
Built on the plans service's API."""

from fastapi import APIRouter

router = APIRouter(prefix="/plan")
