"""Accounts: a JSON file outside the repository ($DASHBOARD_USERS), passwords kept only as argon2id hashes.

Also the two guards around a login: failed attempts for an account make the next one wait (doubling), and a
session ends after a while without activity and after a fixed maximum.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from analytics.access import HEAD, SECRETARY, User, check_role
from analytics.config import AccessSettings
from analytics.errors import DashboardError

_HASHER = PasswordHasher()  # argon2id with the library's defaults (RFC 9106's second recommended profile)
# verified when the name is unknown, so that a wrong name costs as long as a wrong password
_DUMMY_HASH = _HASHER.hash("not-a-password")
_NAME = re.compile(r"^[\w.@-]{1,32}$")
MIN_PASSWORD = 8
DEMO_PASSWORD = "demo2026"  # of the accounts demo_accounts() creates; shown on the login page until changed


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    unit: str | None
    password_hash: str
    demo: bool = False  # created by `users demo`: the login page shows its password until it is changed
    changed_at: str = ""

    @property
    def user(self) -> User:
        return User(self.name, self.role, self.unit)


def _now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise DashboardError(f"密码至少 {MIN_PASSWORD} 位")


class UserStore:
    """The accounts file. Every change rewrites it whole into a temporary file and renames it, under a lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def accounts(self) -> dict[str, Account]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise DashboardError(f"用户文件 {self.path} 无法读取：{exc}") from exc
        try:
            return {name: Account(name=name, **fields) for name, fields in raw["users"].items()}
        except (KeyError, TypeError) as exc:
            raise DashboardError(f"用户文件 {self.path} 格式错误") from exc

    def get(self, name: str) -> Account | None:
        return self.accounts().get(name)

    @contextlib.contextmanager
    def _changing(self) -> Iterator[dict[str, Account]]:
        """The accounts, to change in place; written back atomically (mode 600) when the block ends."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            accounts = self.accounts()
            yield accounts
            data = {"version": 1, "users": {n: {k: v for k, v in asdict(a).items() if k != "name"}
                                            for n, a in sorted(accounts.items())}}
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, ensure_ascii=False, indent=2)
                    f.flush()
                    os.fsync(f.fileno())
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def add(self, name: str, role: str, password: str, unit: str | None = None, *, demo: bool = False) -> Account:
        if not _NAME.match(name):
            raise DashboardError("用户名须为 1–32 个字母、数字、汉字或 . _ @ -")
        check_role(role, unit)
        check_password(password)
        with self._changing() as accounts:
            if name in accounts:
                raise DashboardError(f"用户「{name}」已存在")
            accounts[name] = Account(name, role, unit.strip() if unit else None, _HASHER.hash(password), demo, _now())
            return accounts[name]

    def _change(self, name: str, **fields: object) -> Account:
        with self._changing() as accounts:
            if name not in accounts:
                raise DashboardError(f"没有用户「{name}」")
            accounts[name] = Account(**(asdict(accounts[name]) | fields | {"changed_at": _now()}))
            return accounts[name]

    def set_password(self, name: str, password: str) -> Account:
        check_password(password)
        return self._change(name, password_hash=_HASHER.hash(password), demo=False)

    def set_role(self, name: str, role: str, unit: str | None = None) -> Account:
        check_role(role, unit)
        return self._change(name, role=role, unit=unit.strip() if unit else None)

    def remove(self, name: str) -> None:
        with self._changing() as accounts:
            if accounts.pop(name, None) is None:
                raise DashboardError(f"没有用户「{name}」")

    def verify(self, name: str, password: str) -> Account | None:
        """The account when the password is right; None otherwise, taking as long for an unknown name."""
        account = self.get(name)
        try:
            _HASHER.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return account

    def demo_hints(self) -> list[tuple[str, str, str]]:
        """(name, password, role) of demo accounts whose password has not been changed: for the login page."""
        return [(a.name, DEMO_PASSWORD, a.role + (f"：{a.unit}" if a.unit else ""))
                for a in self.accounts().values() if a.demo]


def demo_accounts(store: UserStore, head_unit: str | None) -> list[str]:
    """Create the demo accounts when the file has no account at all; returns the names created.

    ``demo`` is a 纪委书记; ``demo-head``, a department head of ``head_unit``, shows what that role sees.
    """
    if store.accounts():
        return []
    accounts = [("demo", SECRETARY, None)] + ([("demo-head", HEAD, head_unit)] if head_unit else [])
    for name, role, unit in accounts:
        store.add(name, role, DEMO_PASSWORD, unit, demo=True)
    return [a[0] for a in accounts]


class Throttle:
    """Failed logins per account: after ``free_failures`` the next attempt waits, twice as long each time."""

    def __init__(self, settings: AccessSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.clock = settings, clock
        self._failures: dict[str, tuple[int, float]] = {}  # name → (failures in a row, may try again at)
        self._lock = threading.Lock()

    def wait(self, name: str) -> float:
        """Seconds before this account may try again (0: now)."""
        with self._lock:
            _, until = self._failures.get(name, (0, 0.0))
        return max(0.0, until - self.clock())

    def failed(self, name: str) -> float:
        """Count a wrong password; returns the wait it now imposes."""
        s = self.settings
        with self._lock:
            count = self._failures.get(name, (0, 0.0))[0] + 1
            extra = count - s.free_failures
            wait = 0.0 if extra < 0 else float(min(s.first_wait_seconds * 2 ** extra, s.max_wait_seconds))
            self._failures[name] = (count, self.clock() + wait)
        return wait

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)


def session_ended(started: float, last_seen: float, now: float, settings: AccessSettings) -> str | None:
    """Why a session is over ("idle" or "expired"), or None while it is still good."""
    if now - started >= settings.session_hours * 3600:
        return "expired"
    if now - last_seen >= settings.idle_minutes * 60:
        return "idle"
    return None
