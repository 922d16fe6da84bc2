"""Mail delivery: an outbox row as a MIME message, handed to SMTP or printed on the console.

The texts are rendered in the recipient's language when they are queued
(`matcher.i18n.render_mail`); this module only sends them.
"""

import smtplib
import ssl
import sys
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime
from types import TracebackType
from typing import Any

from flask import current_app

from matcher.models import OutboxMessage

# A server may cap the mails per connection; a fresh one now and then costs little.
MAILS_PER_CONNECTION = 100


class DeliveryError(Exception):
    """A mail could not be handed over; `permanent` when retrying cannot help (5xx)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def compose(message: OutboxMessage) -> EmailMessage:
    """The MIME message for an outbox row; its Message-ID is derived from the row."""
    config = current_app.config
    sender = str(config["MAIL_DEFAULT_SENDER"])
    domain = sender.rpartition("@")[2] or "localhost"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created_at)
    # Stable per row: should a crash ever repeat a send, receivers can see it is the same mail.
    mail["Message-ID"] = f"<outbox-{message.id}-{int(message.created_at.timestamp())}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body)
    return mail


class Mailer:
    """Hands composed mails to the configured backend, one after the other.

    Consecutive mails share one SMTP connection (TLS and login happen once); before a
    connection is used again, a NOOP checks that the server still listens, and any error
    closes it, so the next mail starts on a fresh one. Use it as a context manager.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        self._sent_on_connection = 0

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, mail: EmailMessage) -> None:
        """Hand one mail over; raise DeliveryError when the server did not take it."""
        if self.config["MAIL_BACKEND"] == "console":
            _print(mail)
            return
        try:
            reused = self._smtp is not None
            smtp = self._connection()
            try:
                smtp.send_message(mail)
            except smtplib.SMTPSenderRefused as e:
                # Refused at MAIL FROM, before any of the mail went out: a reused connection
                # may have hit the server's per-connection cap, so try once on a fresh one.
                if not reused or e.smtp_code >= 500:
                    raise
                self.close()
                self._connection().send_message(mail)
            self._sent_on_connection += 1
        except BaseException as e:
            self.close()
            if isinstance(e, smtplib.SMTPRecipientsRefused):
                codes = [code for code, _ in e.recipients.values()]
                raise DeliveryError(
                    f"recipient refused: {codes}", permanent=min(codes) >= 500
                ) from None
            if isinstance(e, smtplib.SMTPResponseException):
                raise DeliveryError(f"SMTP {e.smtp_code}", permanent=e.smtp_code >= 500) from None
            if isinstance(e, OSError | smtplib.SMTPException):
                raise DeliveryError(f"{type(e).__name__}: {e}") from None
            raise

    def close(self) -> None:
        """Say goodbye to the server, if a connection is open."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and (
            self._sent_on_connection >= MAILS_PER_CONNECTION or not self._alive(self._smtp)
        ):
            self.close()
        if self._smtp is None:
            self._smtp = self._connect()
            self._sent_on_connection = 0
        return self._smtp

    @staticmethod
    def _alive(smtp: smtplib.SMTP) -> bool:
        try:
            code, _ = smtp.noop()
        except (OSError, smtplib.SMTPException):
            return False
        return code == 250

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        host, port = str(config["MAIL_SERVER"]), int(config["MAIL_PORT"])
        timeout = float(config["MAIL_TIMEOUT_SECONDS"])
        smtp: smtplib.SMTP
        if config["MAIL_USE_SSL"]:
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(str(config["MAIL_USERNAME"]), str(config["MAIL_PASSWORD"] or ""))
        except BaseException:
            smtp.close()
            raise
        return smtp


def _print(mail: EmailMessage) -> None:
    """Show a mail readably (decoded, not as MIME) on the console."""
    bar = "-" * 72
    head = "\n".join(f"{name}: {mail[name]}" for name in ("From", "To", "Subject", "Message-ID"))
    body = mail.get_content()
    sys.stdout.write(f"{bar}\n{head}\n\n{body}{bar}\n")
    sys.stdout.flush()
