"""Moved to `ptfc.dev.servers` (development only); this alias keeps other branches' imports working."""

from ptfc.dev.servers import *  # noqa: F403
from ptfc.dev.servers import free_port as free_port
