"""A local SMTP server for development that keeps every message as an `.eml` file, so a
person can read exactly what the platform sent. Dev only: `ptfc up` starts it."""

import argparse
import asyncio
from email import message_from_bytes, policy
from pathlib import Path
from uuid import uuid4

from aiosmtpd.controller import Controller


class MailDir:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        subject = "".join(c if c.isalnum() else "-" for c in str(message.get("Subject", "message")))[:60]
        (self.folder / f"{uuid4().hex[:8]}-{subject}.eml").write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    controller = Controller(MailDir(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
