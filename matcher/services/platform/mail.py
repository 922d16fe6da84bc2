"""Mail delivery: an outbox row as a MIME message, handed to SMTP or printed on the console.

The texts are rendered in the recipient's language when they are queued
(`matcher.i18n.render_mail`); this module only sends them.
"""

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app

from matcher.models import OutboxMessage


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


def deliver(message: OutboxMessage) -> None:
    """Hand one outbox message to the configured backend; raise DeliveryError on failure."""
    mail = compose(message)
    if current_app.config["MAIL_BACKEND"] == "console":
        _print(mail)
        return
    _send_smtp(mail)


def _print(mail: EmailMessage) -> None:
    """Show a mail readably (decoded, not as MIME) on the console."""
    bar = "-" * 72
    head = "\n".join(f"{name}: {mail[name]}" for name in ("From", "To", "Subject", "Message-ID"))
    body = mail.get_content()
    sys.stdout.write(f"{bar}\n{head}\n\n{body}{bar}\n")
    sys.stdout.flush()


def _send_smtp(mail: EmailMessage) -> None:
    config = current_app.config
    host, port = str(config["MAIL_SERVER"]), int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT_SECONDS"])
    try:
        smtp: smtplib.SMTP
        if config["MAIL_USE_SSL"]:
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(str(config["MAIL_USERNAME"]), str(config["MAIL_PASSWORD"] or ""))
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as e:
        codes = [code for code, _ in e.recipients.values()]
        raise DeliveryError(f"recipient refused: {codes}", permanent=min(codes) >= 500) from None
    except smtplib.SMTPResponseException as e:
        raise DeliveryError(f"SMTP {e.smtp_code}", permanent=e.smtp_code >= 500) from None
    except (OSError, smtplib.SMTPException) as e:
        raise DeliveryError(f"{type(e).__name__}: {e}") from None
