"""Event subscribers of the plans service."""

from ptfc.consumer import Handlers

handlers = Handlers()
