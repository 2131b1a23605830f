"""A real SMTP server on loopback for Steward's mail tests (aiosmtpd).

Usage: smtp_sink.py PORT. Prints "ready" once listening, then one JSON line
per message received: {"from", "to", "subject", "body"}. Runs until killed or stdin
closes.
"""

import email
import email.policy
import json
import sys

from aiosmtpd.controller import Controller


class Sink:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        line = json.dumps(
            {
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "subject": message["subject"],
                # Decoded as a mail client shows it (quoted-printable undone).
                "body": message.get_content(),
            }
        )
        print(line, flush=True)
        return "250 OK"


def main() -> None:
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
