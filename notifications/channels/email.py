"""E-mail through Django's configured backend (SMTP in production), with SMTP errors sorted into temporary and permanent."""

from __future__ import annotations

import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from .errors import DeliveryError


def send_email(*, to: str, subject: str, body: str, message_id: str | None = None) -> None:
    """Send one plain-text mail to ``to``; raise ``DeliveryError`` if it was not accepted.

    ``message_id``: a fixed Message-ID (the outbox row's), so that a resent copy is recognisably the same mail.
    """
    if not to:
        raise DeliveryError("收件人未设置电子邮箱。", temporary=False)
    subject = " ".join((settings.NOTIFY_EMAIL_SUBJECT_PREFIX + subject).split())  # no newlines in a header
    headers = {"Message-ID": message_id} if message_id else None
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], headers=headers)
    try:
        connection = get_connection(fail_silently=False)
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise _by_code(min(codes) if codes else 550, f"邮件服务器拒收收件人 {to}") from exc
    except smtplib.SMTPResponseException as exc:  # SMTPSenderRefused, SMTPDataError, SMTPAuthenticationError, …
        raise _by_code(exc.smtp_code, f"邮件服务器拒绝（{_text(exc.smtp_error)}）") from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise DeliveryError(f"邮件服务器断开连接：{exc}", temporary=True) from exc
    except (ConnectionError, socket.timeout, TimeoutError) as exc:
        raise DeliveryError(f"无法连接邮件服务器 {settings.EMAIL_HOST}:{settings.EMAIL_PORT}（{type(exc).__name__}）", temporary=True) from exc
    except smtplib.SMTPException as exc:  # (a subclass of OSError)
        raise DeliveryError(f"邮件发送失败：{exc}", temporary=True) from exc
    except OSError as exc:
        raise DeliveryError(f"连接邮件服务器出错：{exc}", temporary=True) from exc


def _by_code(code: int, what: str) -> DeliveryError:
    """SMTP 4xx is a temporary refusal; 5xx (and anything else) is permanent."""
    temporary = 400 <= int(code) < 500
    suffix = "，稍后重试" if temporary else ""
    return DeliveryError(f"{what}，SMTP 代码 {code}{suffix}。", temporary=temporary)


def _text(value) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
