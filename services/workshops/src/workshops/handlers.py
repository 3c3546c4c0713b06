"""Event subscribers of the workshops service."""

from ptfc.consumer import Handlers

handlers = Handlers()
