"""Event subscribers of the notifications service."""

from ptfc.consumer import Handlers

handlers = Handlers()
