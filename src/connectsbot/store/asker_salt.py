"""The secret members' ids are hashed with, kept outside the database.

With the salt inside the database, anyone holding the file could hash every public user id of a server
and find each member's questions. The salt lives in a file (`<db>.salt` beside the SQLite file unless
CONNECTSBOT_SALT_FILE says otherwise, with PostgreSQL too; mode 0600, made on first use), so a copy of
the database alone does not identify anyone; and a member's hash differs per server, so the hashes of
one member in two servers cannot be joined.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from pathlib import Path

from connectsbot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

SALT_BYTES = 32
DIRECT_MESSAGES = "dm"  # the "server" of questions and votes in direct messages


def salt_file(database: Path) -> Path:
    return database.with_name(database.name + ".salt")


def _read(path: Path) -> bytes:
    """The salt in `path`; refuses a link or anything but a regular file, and closes it to others."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(f"{path} is not a regular file")
        if status.st_mode & 0o077:
            log.warning("%s could be read by other users: made private (mode 0600)", path)
            os.fchmod(descriptor, 0o600)
        salt = os.read(descriptor, SALT_BYTES + 1)
    finally:
        os.close(descriptor)
    if len(salt) != SALT_BYTES:
        raise OSError(f"{path} does not hold a salt of {SALT_BYTES} bytes")
    return salt


def _create(path: Path) -> None:
    """Write a new salt to `path` unless another process did first: written whole to a private
    temporary, then linked into place (a link never replaces an existing file)."""
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(descriptor, secrets.token_bytes(SALT_BYTES))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first: theirs is the salt
    finally:
        temporary.unlink()


def load_salt(path: Path) -> bytes:
    """The salt in `path`, made there first if there is none. Raises StoreUnavailable when the file
    cannot be read or made."""
    try:
        try:
            return _read(path)
        except FileNotFoundError:
            _create(path)
            return _read(path)
    except OSError as error:
        problem = f"the salt file {path} cannot be read or created ({error.strerror or error})"
        raise StoreUnavailable(problem, repr(error)) from error


def member_hash(salt: bytes, guild_id: str | None, user_id: str) -> str:
    """An anonymous, stable id for a member in one server (or in direct messages): never the user id,
    and different in every server."""
    place = guild_id if guild_id is not None else DIRECT_MESSAGES
    return hmac.new(salt, f"{place}:{user_id}".encode(), hashlib.sha256).hexdigest()[:16]
