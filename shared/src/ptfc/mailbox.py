"""Moved to `ptfc.dev.mailbox` (development only); this alias keeps `python -m ptfc.mailbox`
working for branches written before the move. Remove once nothing names it."""

from ptfc.dev.mailbox import MailDir as MailDir
from ptfc.dev.mailbox import main

if __name__ == "__main__":
    main()
