"""Calls to the services' APIs with the staff member's token: the front ends' one client (ptfc.web.backend)."""

from ptfc.web.backend import Answer, Backend, SignedOut, Unavailable

__all__ = ["Answer", "Backend", "SignedOut", "Unavailable"]
