"""Moved to `ptfc.dev.servers` (development only); this alias keeps imports written before the
move working. Remove once nothing names it."""

from ptfc.dev.servers import *  # noqa: F403
from ptfc.dev.servers import free_port as free_port
