"""Event subscribers of the learning service."""

from ptfc.consumer import Handlers

handlers = Handlers()
