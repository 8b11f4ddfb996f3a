"""组织架构: companies, each with a tree of units (分公司, 部门, 区域 … any depth), their aliases and peer groups.

A unit is named everywhere by its key: the names on its path from the company down, joined by SEP
(``甲公司›海口分公司›财务部``). A ledger's unit text is resolved within the import's company: a node's own name or an
alias, unique in that company, or a path below the company. Without a register (a database made before it, or an
office with one company that never set one up) there is one implicit company and a unit's key is its ledger name,
as before. Once the first company is registered every import belongs to a company (the first one claims the
imports made before it), so "no register" and "no company on any import" are the same state.

The register is small (hundreds of nodes): it is read whole into a Register and resolved in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from analytics.db import has_table
from analytics.errors import DashboardError

SEP = "›"
COMPANY = "公司"
KINDS = (COMPANY, "分公司", "部门", "区域", "单位")
# how a path may be written in a ledger or a form besides SEP
_PATH_SPLIT = re.compile(r"\s*[›>/／\\]\s*")
_SPACE = re.compile(r"\s+")
AMBIGUOUS = "?"  # resolve(): the name fits several units of the company


def clean(name: object) -> str:
    """A unit name as compared: surrounding and inner white space (full-width too) removed."""
    return _SPACE.sub("", str(name or "")).strip()


@dataclass(frozen=True)
class Node:
    node_id: int
    parent_id: int | None
    name: str
    kind: str
    peer_group: str | None = None
    head_count: int | None = None
    position: int = 0


@dataclass
class Register:
    """The register in memory: nodes by id, their keys, aliases per company."""

    nodes: dict[int, Node] = field(default_factory=dict)
    aliases: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.key: dict[int, str] = {}
        self.by_key: dict[str, Node] = {}
        for node in sorted(self.nodes.values(), key=lambda n: (n.position, n.node_id)):
            self._key_of(node)
        self._names: dict[str, dict[str, set[str]]] = {}  # company → clean name or alias → keys
        for node_id, key in self.key.items():
            company = self.company_of(key)
            names = self._names.setdefault(company, {})
            for text in (self.nodes[node_id].name, *self.aliases.get(node_id, [])):
                names.setdefault(clean(text), set()).add(key)

    def _key_of(self, node: Node) -> str:
        if node.node_id not in self.key:
            parent = self.nodes.get(node.parent_id) if node.parent_id is not None else None
            key = node.name if parent is None else self._key_of(parent) + SEP + node.name
            self.key[node.node_id] = key
            self.by_key[key] = node
        return self.key[node.node_id]

    @property
    def empty(self) -> bool:
        return not self.nodes

    @property
    def companies(self) -> list[str]:
        """Company names in register order."""
        return [self.key[n.node_id] for n in self.ordered() if n.parent_id is None]

    def ordered(self) -> list[Node]:
        """Every node depth first, siblings by position: the order of the tree filter and the exported register."""
        children: dict[int | None, list[Node]] = {}
        for n in self.nodes.values():
            children.setdefault(n.parent_id, []).append(n)
        out: list[Node] = []

        def walk(parent: int | None) -> None:
            for n in sorted(children.get(parent, []), key=lambda n: (n.position, n.node_id)):
                out.append(n)
                walk(n.node_id)
        walk(None)
        return out

    @staticmethod
    def company_of(key: str) -> str:
        return key.split(SEP, 1)[0]

    def resolve(self, company: str, name: str) -> str | None:
        """The key a ledger's unit text names within a company: None when no unit fits, AMBIGUOUS when several do."""
        text = clean(name)
        if not text:
            return None
        found = self._names.get(company, {}).get(text, set())
        if len(found) == 1:
            return next(iter(found))
        if len(found) > 1:
            return AMBIGUOUS
        parts = [clean(p) for p in _PATH_SPLIT.split(str(name)) if clean(p)]
        if len(parts) > 1:
            path = parts if parts[0] == company else [company, *parts]
            key = SEP.join(path)
            if key in self.by_key:
                return key
        composed = self._composed(company, text)
        return next(iter(composed)) if len(composed) == 1 else (AMBIGUOUS if composed else None)

    def _composed(self, company: str, text: str) -> set[str]:
        """Units a text names as offices write them run together: an ancestor's name or alias, or the path of
        names from an ancestor down, then the unit's own name (海口分公司财务部, 海口财务部, 甲公司海口分公司财务部)."""
        found = set()
        for key, node in self.by_key.items():
            own = clean(node.name)
            if not (key.startswith(company + SEP) and text.endswith(own) and len(text) > len(own)):
                continue
            prefix = text[: -len(own)]
            ancestors = key.split(SEP)[:-1]
            spellings = set()
            for depth in range(1, len(ancestors) + 1):
                anc = self.by_key[SEP.join(ancestors[:depth])]
                spellings |= {clean(anc.name), *map(clean, self.aliases.get(anc.node_id, []))}
                spellings.add("".join(ancestors[depth - 1:]))
            if prefix in spellings:
                found.add(key)
        return found

    def company_named(self, text: str) -> str | None:
        """The company a text (a file name, a title, a 填报单位 line) names by its name or an alias, if exactly one."""
        hits = set()
        plain = clean(text)
        for company in self.companies:
            node = self.by_key[company]
            if any(clean(a) and clean(a) in plain for a in (node.name, *self.aliases.get(node.node_id, []))):
                hits.add(company)
        return next(iter(hits)) if len(hits) == 1 else None


def load(con: duckdb.DuckDBPyConnection) -> Register:
    """The register as stored (empty on a database without one)."""
    if not has_table(con, "org_nodes"):
        return Register()
    # on con itself, not a cursor: a write reads the register it has just changed in its own transaction
    nodes = {r[0]: Node(*r) for r in con.execute(
        "SELECT node_id, parent_id, name, kind, peer_group, head_count, position FROM org_nodes").fetchall()}
    aliases: dict[int, list[str]] = {}
    for node_id, alias in con.execute("SELECT node_id, alias FROM org_aliases ORDER BY node_id, alias").fetchall():
        aliases.setdefault(node_id, []).append(alias)
    return Register(nodes, aliases)


def digest_rows(con: duckdb.DuckDBPyConnection) -> list:
    """What the unit keys depend on besides the ledgers, for analytics.derived's stamp: the register's rows."""
    if not has_table(con, "org_nodes"):
        return []
    return con.execute("""
        SELECT (SELECT list((node_id, parent_id, name) ORDER BY node_id) FROM org_nodes),
               (SELECT list((node_id, alias) ORDER BY node_id, alias) FROM org_aliases)
    """).fetchone()


def key_for(register: Register, company: str, name: str) -> str:
    """The unit key of a ledger's unit text in an import of ``company``: its node's key when the register resolves
    it, else (a unit not registered yet) the text directly under the company; without a register, the text."""
    if register.empty:
        return name
    found = register.resolve(company, name)
    return found if found not in (None, AMBIGUOUS) else company + SEP + clean(name)


# The unit maps: every (company, unit text) of one ledger table with its unit key (analytics.derived builds one per
# ledger table, so that a supervision list's import rebuilds nothing of the problems'): unit_map for the problem
# ledgers (problem_state reads units through it), assessment_unit_map and task_unit_map for the 评分表 and 监督清单.
UNIT_MAPS = {"unit_map": "observations", "assessment_unit_map": "assessments", "task_unit_map": "tasks"}
UNIT_TEXTS_SQL = """
    SELECT DISTINCT coalesce(i.company, '') AS company, u.unit AS name
    FROM (SELECT DISTINCT import_id, unit FROM {ledger}) u JOIN imports i USING (import_id)
    WHERE u.unit IS NOT NULL
"""


def build_unit_map(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """One unit map (UNIT_MAPS: company, name, unit, registered) made anew from its ledger's unit texts and the
    register."""
    register = load(con)
    rows = [(company, name, key_for(register, company, name),
             register.empty or register.resolve(company, name) not in (None, AMBIGUOUS))
            for company, name in con.execute(UNIT_TEXTS_SQL.format(ledger=UNIT_MAPS[table])).fetchall()]
    con.execute(f"CREATE OR REPLACE TABLE {table} (company VARCHAR, name VARCHAR, unit VARCHAR, registered BOOLEAN)")
    if rows:
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", rows)


def known_units(con: duckdb.DuckDBPyConnection, register: Register | None = None) -> list[str]:
    """Every unit key: the register's nodes and the units the ledgers name, in tree order (registered first)."""
    register = register if register is not None else load(con)
    keys = [register.key[n.node_id] for n in register.ordered()]
    seen = set(keys)
    if has_table(con, "unit_map"):
        for (unit,) in con.execute("SELECT DISTINCT unit FROM unit_map ORDER BY unit").fetchall():
            if unit not in seen:
                keys.append(unit)
                seen.add(unit)
    return keys


def peer_groups(register: Register, keys: list[str]) -> dict[str, str]:
    """同类单位: each of these unit keys that the register puts in a peer group, with its group."""
    return {k: node.peer_group for k in keys if (node := register.by_key.get(k)) is not None and node.peer_group}


def under(key: str, node: str) -> bool:
    """Whether a unit key is the node itself or in its subtree."""
    return key == node or key.startswith(node + SEP)


def resolve_node(register: Register, keys: Iterable[str], text: str) -> str | None:
    """A node as a user or an accounts file names it: its key, or a name or alias unique across the register (an
    account made before the register names its unit as the ledgers did)."""
    keys = list(keys)
    if text in keys or text in register.by_key:
        return text
    hits = {k for company in register.companies if (k := register.resolve(company, text)) not in (None, AMBIGUOUS)}
    hits |= {k for k in keys if k.rsplit(SEP, 1)[-1] == text}
    return next(iter(hits)) if len(hits) == 1 else None


def units_under(con: duckdb.DuckDBPyConnection, node: str) -> tuple[str, ...]:
    """The unit keys of a node's subtree (the node itself first); a node nobody knows gives just itself, so that a
    scope made of it matches nothing rather than everything."""
    register = load(con)
    keys = known_units(con, register)
    found = resolve_node(register, keys, node) or node
    return (found, *[k for k in keys if k != found and under(k, found)])


def child_of(key: str, node: str | None) -> str | None:
    """The child of ``node`` (None: the root above the companies) whose subtree holds ``key``: the node itself for
    its own problems, None outside it."""
    if node is None:
        return key.split(SEP, 1)[0]
    if key == node:
        return node
    if not key.startswith(node + SEP):
        return None
    return node + SEP + key[len(node) + 1:].split(SEP, 1)[0]


def label(key: str, relative_to: str | None = None) -> str:
    """A unit key as shown: the path below ``relative_to`` (or whole), joined by ' › '."""
    if relative_to and key.startswith(relative_to + SEP):
        key = key[len(relative_to) + 1:]
    return key.replace(SEP, " › ")


class OrgError(DashboardError):
    """A register that cannot be stored as given."""
