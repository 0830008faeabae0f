"""Sending mail through the SMTP server at `TILTS_SMTP_URL` (aiosmtplib).

`smtp://host:port` speaks plain SMTP and upgrades with STARTTLS when the server offers it;
`smtps://host:port` uses TLS from the start; `user:password@` in the URL logs in.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

import aiosmtplib

from services.notifications.application.couriers import SendResult


class EmailSender:
    """Sends one plain-text message per call."""

    def __init__(self, smtp_url: str | None, sender: str, timeout: float) -> None:
        self._smtp_url, self._sender, self._timeout = smtp_url, sender, timeout

    async def send(self, to: str, subject: str, text: str, message_id: str) -> SendResult:
        """Hand the message to the SMTP server; ok once it has accepted it."""
        if not self._smtp_url:
            return SendResult(False, "no SMTP server is configured (TILTS_SMTP_URL)")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self._sender, to, subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        # The same Message-ID on every re-send lets mail clients drop a duplicate.
        message["Message-ID"] = f"<{message_id}@tilts.notifications>"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        url = urlsplit(self._smtp_url)
        secure = url.scheme == "smtps"
        try:
            await aiosmtplib.send(
                message, hostname=url.hostname or "127.0.0.1", port=url.port or (465 if secure else 25),
                username=unquote(url.username) if url.username else None,
                password=unquote(url.password) if url.password else None,
                use_tls=secure, start_tls=False if secure else None, timeout=self._timeout)
        except aiosmtplib.SMTPException as error:
            return SendResult(False, f"the mail server refused or failed: {type(error).__name__}")
        except OSError as error:
            return SendResult(False, f"could not reach the mail server: {type(error).__name__}")
        return SendResult(True)
