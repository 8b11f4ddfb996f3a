"""Accounts: a JSON file outside the repository ($DASHBOARD_USERS), passwords kept only as argon2id hashes.

Also the guards around a login: failed attempts make the next one wait (doubling), per account and client
address, with one password check per account at a time and a few at once in the process (Throttle); and a
session ends after a while without activity, after a fixed maximum, and when an administrator changes or removes
its account (session_over).
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
# why a session is over (session_over): the page words each one, the audit trail records it
IDLE, EXPIRED, REMOVED = "idle", "expired", "removed"
PASSWORD_RESET, ROLE_CHANGED, OWN_PASSWORD = "password_reset", "role_changed", "own_password"
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
    # sessions begun before this (time.time()) are over: set at creation and by every change of password or
    # role, so those end the account's open sessions; 0 in files written before it existed (no session ended)
    sessions_after: float = 0.0
    ended_by: str = ""  # the change that set sessions_after: PASSWORD_RESET, ROLE_CHANGED or OWN_PASSWORD

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
            accounts = {name: Account(name=name, **fields) for name, fields in raw["users"].items()}
        except (KeyError, TypeError, AttributeError) as exc:
            raise DashboardError(f"用户文件 {self.path} 格式错误") from exc
        for a in accounts.values():  # compared on every run of every session: a hand-edited value must not raise
            if type(a.sessions_after) not in (int, float) or not isinstance(a.ended_by, str):
                raise DashboardError(f"用户文件 {self.path} 格式错误（用户「{a.name}」的 sessions_after 或 ended_by）")
        return accounts

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
            # sessions_after: a session left over from a removed account of the same name does not resume
            accounts[name] = Account(name, role, unit.strip() if unit else None, _HASHER.hash(password), demo, _now(),
                                     time.time())
            return accounts[name]

    def _change(self, name: str, ended_by: str, **fields: object) -> Account:
        """Change an account; its open sessions end (sessions_after), for the reason ``ended_by``."""
        with self._changing() as accounts:
            if name not in accounts:
                raise DashboardError(f"没有用户「{name}」")
            accounts[name] = Account(**(asdict(accounts[name]) | fields | {
                "changed_at": _now(), "sessions_after": time.time(), "ended_by": ended_by}))
            return accounts[name]

    def set_password(self, name: str, password: str, *, own: bool = False) -> Account:
        """A new password (``own``: changed by its user, else reset by an administrator); open sessions end."""
        check_password(password, name)
        return self._change(name, OWN_PASSWORD if own else PASSWORD_RESET, password_hash=_HASHER.hash(password),
                            demo=False)

    def set_role(self, name: str, role: str, unit: str | None = None) -> Account:
        """A new role (and unit); open sessions end, the next login has the new role."""
        check_role(role, unit)
        return self._change(name, ROLE_CHANGED, role=role, unit=unit.strip() if unit else None)

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


WAITING, CHECKING, BUSY = "waiting", "checking", "busy"  # why Throttle.attempt refuses
_TRACKED = 10_000  # failure records kept before those no longer making anyone wait are dropped (memory stays bounded)


class Refused(Exception):
    """Throttle.attempt refuses: ``why`` is WAITING (for ``wait`` more seconds), CHECKING or BUSY."""

    def __init__(self, why: str, wait: float = 0.0) -> None:
        super().__init__(why)
        self.why, self.wait = why, wait


class Attempt:
    """One password check under way: say how it went (failed() or succeeded()) before it ends."""

    def __init__(self, throttle: Throttle, name: str, address: str | None) -> None:
        self._throttle, self._name, self._address = throttle, name, address
        self.recorded = False

    def failed(self) -> float:
        """A wrong password: counted; returns the wait it now imposes."""
        self.recorded = True
        return self._throttle.failed(self._name, self._address)

    def succeeded(self) -> None:
        self.recorded = True
        self._throttle.succeeded(self._name, self._address)


class Throttle:
    """Password checks for logins and password changes, shared by every session of a server process.

    After ``free_failures`` wrong passwords for an account from one client address, that address's next attempt
    at that account waits, twice as long each time: failures from an attacker's address do not make the account
    wait for anyone else. An address also has a budget over all accounts (``address_free_failures``), so that it
    cannot try a few passwords on every account. Where no address is known (None) the account alone is counted.

    ``attempt`` makes checking and counting atomic: one check per account at a time (another attempt at the same
    account meanwhile is refused unchecked, never counted), its result recorded before the next may start; and at
    most ``max_password_checks`` checks at once in the process (argon2 takes 64 MiB each), an attempt beyond them
    waiting up to ``check_queue_seconds`` and then refused as busy.
    """

    def __init__(self, settings: AccessSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.clock = settings, clock
        # (name, address) → (failures in a row, may try again at); address None: where no address is known
        self._failures: dict[tuple[str, str | None], tuple[int, float]] = {}
        self._addresses: dict[str, tuple[int, float, float]] = {}  # address → (failures, try again at, last)
        self._checking: set[str] = set()  # accounts with a check under way
        self._checks = threading.BoundedSemaphore(settings.max_password_checks)
        self._lock = threading.Lock()

    def _delay(self, count: int, free: int) -> float:
        """The wait after ``count`` failures of which ``free`` cost nothing."""
        s, extra = self.settings, count - free
        return 0.0 if extra < 0 else float(min(s.first_wait_seconds * 2 ** extra, s.max_wait_seconds))

    def _address(self, address: str, now: float) -> tuple[int, float, float]:
        count, until, last = self._addresses.get(address, (0, 0.0, 0.0))
        if count and now - last >= self.settings.address_memory_hours * 3600:
            return 0, 0.0, 0.0  # quiet long enough: forgotten
        return count, until, last

    def _wait(self, name: str, address: str | None, now: float) -> float:
        until = self._failures.get((name, address), (0, 0.0))[1]
        if address is not None:
            until = max(until, self._address(address, now)[1])
        return max(0.0, until - now)

    def wait(self, name: str, address: str | None = None) -> float:
        """Seconds before this account may be tried again from this address (0: now)."""
        with self._lock:
            return self._wait(name, address, self.clock())

    def failed(self, name: str, address: str | None = None) -> float:
        """Count a wrong password; returns the wait it now imposes on this account from this address."""
        with self._lock:
            now = self.clock()
            self._forget(now)
            count = self._failures.get((name, address), (0, 0.0))[0] + 1
            self._failures[name, address] = (count, now + self._delay(count, self.settings.free_failures))
            if address is not None:
                count = self._address(address, now)[0] + 1
                self._addresses[address] = (count, now + self._delay(count, self.settings.address_free_failures),
                                            now)
            return self._wait(name, address, now)

    def succeeded(self, name: str, address: str | None = None) -> None:
        """The right password: this account's count from this address starts again (the address's does not, or
        an attacker's own account would reset it)."""
        with self._lock:
            self._failures.pop((name, address), None)

    def _forget(self, now: float) -> None:
        """Drop records that no longer make anyone wait once there are many (names are attacker-chosen)."""
        if len(self._failures) > _TRACKED:
            self._failures = {k: v for k, v in self._failures.items() if v[1] > now}
        if len(self._addresses) > _TRACKED:
            self._addresses = {k: v for k, v in self._addresses.items() if v[1] > now}

    @contextlib.contextmanager
    def attempt(self, name: str, address: str | None = None) -> Iterator[Attempt]:
        """The right to check one password of ``name`` for ``address``, or Refused.

        The block checks the password and says how it went (Attempt.failed / succeeded); a block that says
        neither, or raises, counts as a failure. The account is free again only once the result is counted.
        """
        with self._lock:
            wait = self._wait(name, address, self.clock())
            if wait > 0:
                raise Refused(WAITING, wait)
            if name in self._checking:
                raise Refused(CHECKING)
            self._checking.add(name)
        try:
            if not self._checks.acquire(timeout=self.settings.check_queue_seconds):
                raise Refused(BUSY)
            attempt = Attempt(self, name, address)
            try:
                yield attempt
            finally:
                if not attempt.recorded:
                    attempt.failed()
                self._checks.release()
        finally:
            with self._lock:
                self._checking.discard(name)


def session_ended(started: float, last_seen: float, now: float, settings: AccessSettings) -> str | None:
    """Why a session is over by time alone (IDLE or EXPIRED), or None while it is still good."""
    if now - started >= settings.session_hours * 3600:
        return EXPIRED
    if now - last_seen >= settings.idle_minutes * 60:
        return IDLE
    return None


def session_over(account: Account | None, valid_from: float, started: float, last_seen: float, now: float,
                 settings: AccessSettings) -> str | None:
    """Why a session is over, or None while it is good: REMOVED (no such account), EXPIRED or IDLE, or the change
    that ended the account's sessions since ``valid_from`` (PASSWORD_RESET, ROLE_CHANGED, OWN_PASSWORD).

    ``valid_from`` is when the session was opened (or last confirmed, after its user changed their own password
    in it); ``account`` is read from the accounts file afresh at each check.
    """
    if account is None:
        return REMOVED
    if ended := session_ended(started, last_seen, now, settings):
        return ended
    if valid_from < account.sessions_after:
        return account.ended_by or REMOVED  # no reason: the account was created anew after this session began
    return None
