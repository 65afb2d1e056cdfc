"""Where the bot's logs go: stderr always (journald and `docker logs` collect it), and with
CONNECTSBOT_LOG_FILE also a file, rotated by size (the standard library's RotatingFileHandler).
CONNECTSBOT_LOG_LEVEL sets the level; the token is masked in every record should any library print it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler

from connectsbot.settings import LogSettings

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILES_KEPT = 5


class RedactSecrets(logging.Filter):
    """Replace any secret (the token) in a log record by `[redacted]`: in the message, the exception's
    text and traceback, and the stack."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self._redact(message), ()
        if record.exc_info and not record.exc_text:
            # Formatted here, as the handler's formatter would; it then uses this redacted text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class DropVoiceWarnings(logging.Filter):
    """discord.py warns at every start that PyNaCl and davey are missing for voice; the bot never uses
    voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def configure_logging(token: str, logs: LogSettings) -> list[logging.Handler]:
    """Replace the handlers an earlier call installed with stderr (and the rotated file, if set);
    discord.py's request/response bodies (its DEBUG) stay off below DEBUG."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "connectsbot", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if logs.file is not None:
        logs.file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            RotatingFileHandler(
                logs.file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILES_KEPT, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(RedactSecrets([token]))
        handler.connectsbot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    level = logs.level_number
    root.setLevel(level)
    for name in ("discord", "discord.http", "discord.gateway"):
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    client_log = logging.getLogger("discord.client")
    if not any(isinstance(existing, DropVoiceWarnings) for existing in client_log.filters):
        client_log.addFilter(DropVoiceWarnings())
    return handlers
