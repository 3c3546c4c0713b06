"""No address survives into the delivery log, notification.failed or the logs, however the mail
server echoes it (issue 10: a lower-cased echo leaked through an exact-match replace)."""

from notifications.transports import scrub


def test_every_email_shaped_text_is_scrubbed_from_an_error():
    stored = "Alex.Morgan@Parents.Example"
    error = (
        "550 5.1.1 <alex.morgan@parents.example>: Recipient address rejected; "
        '"ALEX.MORGAN@PARENTS.EXAMPLE" unknown, forwarded to alex%40parents.example (was Alex.Morgan@Parents.Example)'
    )
    scrubbed = scrub(error, stored)
    assert "@" not in scrubbed and "%40" not in scrubbed.lower() and "morgan" not in scrubbed.lower()
    assert scrubbed.startswith("550 5.1.1 <<address>>: Recipient address rejected")
    assert scrub("421 try again later", stored) == "421 try again later"  # nothing else is touched
