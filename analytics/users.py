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
NAME_MAX = 32  # characters in a login name; a longer one is refused at creation and cut before it is logged
_NAME = re.compile(r"[\w.@-]+")
_CUT = "…（已截断）"
MIN_PASSWORD = 8
# refused whatever the case (compared casefolded): the usual lists' head, and the Chinese habits (woaini = 我爱你,
# 5201314 ≈ 我爱你一生一世, 888888 and 666666 for luck); most are shorter than MIN_PASSWORD and refused by length
# anyway, the longer ones by this list
_COMMON = """
    123456 1234567 12345678 123456789 1234567890 0123456789 87654321 987654321 11223344 12341234 123123123
    147258369 123456abc 123456aa 123qwe 123qweasd 123abc 1q2w3e4r 1q2w3e4r5t 1qaz2wsx 1qaz@wsx zaq12wsx qazwsxedc
    password password1 password123 passw0rd p@ssw0rd p@ssword passwd qwerty qwerty123 qwertyui qwer1234 asdf1234
    asdfghjk zxcvbnm zxcvbnm1 abc123 abc12345 abcd1234 abcdefgh a1b2c3 a1b2c3d4 1a2b3c4d aa123456 a123456
    a12345678 a123456789 qq123456 111111 000000 admin admin123 admin888 admin@123 administrator root123
    test1234 changeme iloveyou iloveyou1 welcome welcome1 welcome123 letmein letmein1 sunshine princess football
    baseball superman trustno1 computer woaini woaini1314 woaini520 5201314 52013141314 5201314520 1314520
    888888 666666 168168 dashboard
"""
COMMON_PASSWORDS = frozenset(_COMMON.split())
# of the accounts demo_accounts() creates, shown on the login page until changed; created through UserStore.add, so
# it must pass check_password for "demo" and "demo-head" (a test holds it to that)
DEMO_PASSWORD = "demo2026"


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


def check_name(name: str) -> None:
    """A new account's name: at most NAME_MAX letters, digits, Chinese characters or . _ @ -."""
    if len(name) > NAME_MAX:
        raise DashboardError(f"用户名最长 {NAME_MAX} 个字符（收到 {len(name)} 个）")
    if not _NAME.fullmatch(name):
        raise DashboardError(f"用户名须为 1–{NAME_MAX} 个字母、数字、汉字或 . _ @ -")


def loggable_name(name: str) -> str:
    """A login name as typed, cut to NAME_MAX characters (with a marker) so that it can be logged and kept."""
    return name if len(name) <= NAME_MAX else name[:NAME_MAX] + _CUT


def check_password(password: str, name: str | None = None) -> None:
    """Refuse a password that is short, the account's name (or it backwards), one character repeated, or common.

    The one place passwords are judged: the CLI, the 用户管理 and 我的账户 pages and the demo accounts all come
    through UserStore.add / set_password. Each refusal names its rule, in Chinese.
    """
    if len(password) < MIN_PASSWORD:
        raise DashboardError(f"密码至少 {MIN_PASSWORD} 位")
    folded = password.casefold()
    bare = folded.strip()
    own = (name or "").strip().casefold()
    if own and bare == own:
        raise DashboardError("密码不能与用户名相同，请换一个")
    if own and bare == own[::-1]:
        raise DashboardError("密码不能是用户名倒写，请换一个")
    if len(set(folded)) == 1:
        raise DashboardError("密码不能是同一个字符的重复（如 88888888），请换一个")
    if bare in COMMON_PASSWORDS:
        raise DashboardError("密码在常见密码名单中（如 12345678、password、5201314），容易被猜中，请换一个")


class UserStore:
    """The accounts file. Every change rewrites it whole into a temporary file and renames it, under a lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def exposure(self) -> str | None:
        """Why others on this machine can read the accounts file (its mode lets them), else None."""
        try:
            mode = self.path.stat().st_mode & 0o777
        except FileNotFoundError:
            return None
        if not mode & 0o077:
            return None
        return (f"用户文件 {self.path} 可被其他用户读取（权限 {mode:o}），其中有密码摘要：请执行 chmod 600 {self.path}"
                "（账户有改动时系统也会改回 600）")

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
        check_name(name)
        check_role(role, unit)
        check_password(password, name)
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
        check_password(password, name)
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
