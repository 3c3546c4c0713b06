"""An idle consumer's empty fetch is no error in the logs; a real failure still is."""

import logging
import sys

from ptfc.logs import BROKER_LOG, QuietBroker


def record_of(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException:
        exc_info = sys.exc_info()
    return BROKER_LOG.makeRecord(
        BROKER_LOG.name, logging.ERROR, __file__, 1, "Task-9 raised an exception, retrying...", None, exc_info
    )


def fetch():
    raise TimeoutError  # what nats-py raises when a pull request expires with no message


def test_an_empty_fetch_is_not_logged_as_an_error():
    try:
        fetch()
    except TimeoutError as error:
        record = record_of(error)
    logging.getLogger().setLevel(logging.INFO)
    assert QuietBroker().filter(record) is False
    assert record.levelno == logging.DEBUG and record.exc_info is None


def test_other_failures_keep_their_level_and_traceback():
    record = record_of(ConnectionError("store away"))
    assert QuietBroker().filter(record) is True
    assert record.levelno == logging.ERROR and record.exc_info is not None
