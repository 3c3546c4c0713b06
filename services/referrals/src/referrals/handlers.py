"""Event subscribers of the referrals service."""

from ptfc.consumer import Handlers

handlers = Handlers()
