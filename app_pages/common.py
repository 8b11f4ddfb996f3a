"""What every page shares: the database, the sidebar filters, cached views, empty states, formats.

Figures come from analytics.views only; every cached result is keyed on the
database's revision and the scoring configuration, so an import, an undo or an
edit of scoring.toml refreshes all pages at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from analytics import actions, audit, charts, derived, notices, org, templates
from analytics.access import Policy, User, can, load_policy, sees
from analytics.config import ScoringConfig, database_path, scoring_config
from analytics.db import open_db, revision, table_exists
from analytics.errors import ConfigError, DashboardError, DatabaseBusy, DatabaseUnreadable
from analytics.export import table as export_table
from analytics.metrics import Scope, available_periods
from analytics.org import SEP
from analytics.periods import Period, parse_period
from app_pages import chinese_ui

FOCUS_KEY = "filter_focus_period"
PORTRAIT_UNIT_KEY = "portrait_unit"  # the unit 单位画像 shows: set it, then switch there, to open a unit's portrait
BLANK = "—"  # what an empty value shows, in tables and texts alike
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>:$])")
# Streamlit options that keep data and internals on the server, as in .streamlit/config.toml: no "Download as
# CSV" (nor clipboard copy) in any table's toolbar — unaudited, formulas left live, English headers; the pages'
# own downloads are audited and escaped — and no traceback, exception type or message in the browser (the
# server log keeps them). Streamlit 1.67 has no per-table switch: client.disableDataExport covers every
# st.dataframe and st.data_editor. client.showErrorDetails false would still show the traceback: "none".
# client.toolbarMode "minimal": no app menu (Print, Record screen, About: English, and nothing an office needs).
CLIENT_OPTIONS = {"client.disableDataExport": True, "client.showErrorDetails": "none", "client.toolbarMode": "minimal"}


def lock_client_options() -> None:
    """CLIENT_OPTIONS, even when the server was started outside the project folder (Streamlit reads
    .streamlit/config.toml from the working directory only) or with a flag saying otherwise.

    The browser learns the table setting at the start of each script run, so a session's very first run keeps
    what the server started with; that run is the login page, which shows no table.
    """
    for key, value in CLIENT_OPTIONS.items():
        if st.get_option(key) != value:
            st.set_option(key, value)


def plain(text: object) -> str:
    """Ledger text for a Markdown slot (captions, labels): shown as typed, never rendered."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def focus_period(period: str) -> None:
    """Show this quarter after the next rerun (a drawn widget's value cannot be set directly)."""
    st.session_state[FOCUS_KEY] = period


def db_path() -> Path:
    return database_path()


def scoring() -> ScoringConfig:
    """scoring.toml as this run reads it (read again when the file changed): passed to every figure."""
    return scoring_config()


@st.cache_resource(show_spinner="正在更新派生数据…", max_entries=16)
def _brought_up_to_date(db: str, cfg: ScoringConfig, rev: int) -> int:
    """The derived tables made current for this configuration (analytics.derived), once per revision of the
    database and configuration: an import, an undo, a new version of the code or an edit of scoring.toml is
    noticed on the next run. The revision they are current at."""
    if derived.ensure(db, cfg):
        with open_db(db, read_only=True) as con:
            return revision(con)
    return rev


def access_policy() -> Policy:
    """access.toml's parts and confidential sources, read on every run like the accounts (an edit applies at once).
    A broken file stops every page with its message: no page may show more than the policy allows."""
    try:
        return load_policy()
    except ConfigError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        st.stop()


def notices_config() -> notices.NoticeConfig:
    """notices.toml (督办文书: issuer, numbers, reply), read on every run; a broken file stops the page with its
    message."""
    try:
        return notices.notices_config()
    except ConfigError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        st.stop()


def audited_download(label: str, what: str, file_name: str, build: Callable[[], bytes], mime: str, key: str, *,
                     where: object = st, **details: object) -> None:
    """A download button whose bytes are built, and the download recorded (actions.downloaded), only when clicked:
    ``build`` runs outside the script run, so it must not call Streamlit."""
    db, who = db_path(), user()

    def made() -> bytes:
        content = build()
        actions.downloaded(db, who, what, content, file=file_name, **details)
        return content

    where.download_button(label, made, file_name=file_name, mime=mime, key=key, icon=":material/download:",
                          on_click="ignore")


@st.cache_resource(show_spinner=False)
def note_config_changes(db: str) -> list[str]:
    """Once per server process: record configuration files changed since the audit trail last saw them."""
    return audit.note_config_changes(db, User("系统检测", "—"))


def user() -> User:
    """The logged-in user (dashboard.py lets no page run without one)."""
    return st.session_state["user"]


def data_revision() -> int | None:
    """The database's change counter (None when there is no database yet), its derived tables current for this
    run's configuration: with it, the key of every cached figure."""
    path = db_path()
    if not path.exists():
        return None
    try:
        with open_db(path, read_only=True) as con:
            if not table_exists(con, "meta"):
                return None
            rev = revision(con)
        return _brought_up_to_date(str(path), scoring(), rev)
    except (DatabaseUnreadable, DatabaseBusy, ConfigError) as exc:  # recover, retry or fix scoring.toml: only that
        st.error(plain(str(exc)), icon=":material/error:")
        st.stop()


@st.cache_data(show_spinner=False, max_entries=16)
def _options(db: str, rev: int | None, who: User, cfg: ScoringConfig) -> dict:
    empty = {"periods": [], "units": [], "sources": [], "dimensions": list(cfg.dimension_names), "incomplete": {}}
    if rev is None:
        return empty
    with open_db(db, read_only=True) as con:
        periods = [str(p) for p in reversed(available_periods(con))]
        if not periods:
            return empty
        names = actions.filter_options(con, who)
        incomplete = actions.incomplete_periods(con, who)
    return {"periods": periods, "units": names["unit"], "sources": names["source"],
            "dimensions": names["dimension"], "incomplete": incomplete}


def options() -> dict:
    """What the filters can choose from: quarters with data (newest first), and the units, sources and
    dimensions the user may see."""
    return _options(str(db_path()), data_revision(), user(), scoring())


def scope_key(scope: Scope) -> tuple:
    return (scope.units, scope.sources, scope.dimensions)


@st.cache_data(show_spinner="正在计算…", max_entries=256)
def _view(db: str, rev: int, who: User, cfg: ScoringConfig, name: str, period: str, scope: tuple,
          extra: tuple) -> dict:
    with open_db(db, read_only=True) as con:  # its derived tables made current for cfg by data_revision()
        return actions.page_data(con, who, name, parse_period(period), Scope(*scope), *extra, cfg=cfg)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _header_and_kind(column: str, config: object) -> tuple[str, str | None]:
    """A column's Chinese header and Excel kind (analytics.export.table) from its st.column_config entry."""
    if isinstance(config, str):
        return config, None
    if not isinstance(config, dict):
        return column, None
    kind = None
    type_config = config.get("type_config") or {}
    match type_config.get("type"), type_config.get("format"):
        case ("progress" | "number"), "percent":
            kind = "percent"
        case "number", "%d":
            kind = "int"
        case "number", "%.1f":
            kind = "score"
        case "date", _:
            kind = "date"
        case "text", _:
            kind = "text"
    return config.get("label") or column, kind


def table(data: pd.DataFrame | Styler, what: str, key: str, *, where: object = st, download: bool = True,
          filtered: bool = True, column_order: list[str] | None = None, column_config: dict | None = None,
          problems: bool = False, **options: object) -> None:
    """A table (st.dataframe with these options) and, below it, its audited download: the columns shown, with
    their headers, as an Excel file made and recorded (actions.downloaded) only when the user clicks — the
    tables' own toolbar download is off (CLIENT_OPTIONS). ``filtered``: the table follows the sidebar's period
    and scope, which the file name and the audit entry then name. A blank cell shows "—", never "None".
    ``problems``: a list of problems (a problem_id column), whose row, once selected, opens that problem's 整改历程
    (app_pages.problem_history)."""
    options.setdefault("placeholder", BLANK)
    frame = data.data if isinstance(data, Styler) else data
    can_open = problems and "problem_id" in frame.columns and sees(user(), "problems") and not frame.empty
    if can_open:
        options |= {"on_select": "rerun", "selection_mode": "single-row"}
    event = where.dataframe(data, hide_index=True, key=key, column_order=column_order, column_config=column_config,
                            **options)
    if can_open:
        from app_pages import problem_history  # it draws its tables with this function

        where.caption("勾选行首的方框，可查看该问题各季度的整改历程。")
        row = selected_row(event, key)
        if row is not None and row < len(frame) and pd.notna(problem := frame["problem_id"].iloc[row]):
            problem_history.show(int(problem))  # a unit's own warning (no problem) opens nothing
    if not download or frame.empty:
        return
    config = column_config or {}
    columns = [c for c in (column_order or frame.columns) if c in frame.columns]
    shown = {c: _header_and_kind(c, config.get(c)) for c in columns}
    sheet = frame[columns].set_axis([h for h, _ in shown.values()], axis=1)
    kinds = {h: k for h, k in shown.values() if k}
    db, who = db_path(), user()
    period = st.session_state.get("filter_period") if filtered else None
    details = {"rows": len(sheet)} | ({"period": period, "scope": scope_caption()} if period else {})

    def made() -> bytes:  # run when the download is asked for, outside the script run: nothing from st here
        content = export_table.to_xlsx(sheet, what, kinds)
        actions.downloaded(db, who, what, content, **details)
        return content

    name = f"{what}_{period}.xlsx" if period else f"{what}.xlsx"
    where.download_button(f"下载本表（Excel，{len(sheet)} 行）", made, file_name=name, mime=XLSX,
                          key=f"{key}_download", type="tertiary", icon=":material/download:", on_click="ignore")


CODE_COLUMNS = ("problem_code", "new_code", "old_code")


def no_code_dash(frame: pd.DataFrame) -> pd.DataFrame:
    """Problems from ledgers without 问题编号 (e.g. 信访 CSVs) show "—" there, not "None"."""
    present = [c for c in CODE_COLUMNS if c in frame.columns]
    return frame.assign(**{c: frame[c].astype(object).where(frame[c].notna(), "—") for c in present}) if present \
        else frame


def view(name: str, *extra) -> dict:
    """A page's data (analytics.views.<name>) for the current filters, cached until the data or the scoring
    configuration changes."""
    period, scope = current_filters()
    data = _view(str(db_path()), data_revision() or 0, user(), scoring(), name, str(period), scope_key(scope), extra)
    return {k: no_code_dash(v) if isinstance(v, pd.DataFrame) else v for k, v in data.items()}


def current_filters() -> tuple[Period, Scope]:
    """The sidebar's period and scope; empty selections mean everything."""
    state = st.session_state
    period = parse_period(state["filter_period"])

    def chosen(key: str) -> tuple[str, ...] | None:
        values = state.get(key) or []
        return tuple(values) or None

    return period, Scope(chosen("filter_units"), chosen("filter_sources"), chosen("filter_dimensions"))


def sidebar_filters() -> bool:
    """Draw the filter set; returns False when there is no problem ledger yet."""
    opts = options()
    st.sidebar.header("筛选")
    if not opts["periods"]:
        st.sidebar.info("导入台账后可按期间、单位、来源、维度筛选。")
        return False
    if (focus := st.session_state.pop(FOCUS_KEY, None)) in opts["periods"]:
        st.session_state["filter_period"] = focus
    if st.session_state.get("filter_period") not in opts["periods"]:
        st.session_state["filter_period"] = opts["periods"][0]
    for key, name in (("filter_units", "units"), ("filter_sources", "sources"), ("filter_dimensions", "dimensions")):
        # keep only choices that still exist after an undo
        st.session_state[key] = [v for v in st.session_state.get(key, []) if v in opts[name]]
    st.sidebar.selectbox("期间", opts["periods"], key="filter_period",
                         format_func=lambda p: f"{parse_period(p).label}（{p}）")
    if can(user(), "all_units"):
        # a node of the 组织架构 stands for everything under it (actions.scoped)
        st.sidebar.multiselect("单位", opts["units"], key="filter_units", placeholder="全部单位",
                               format_func=unit_label(opts["units"]),
                               help="选择公司或分公司即包括其下级全部单位" if any(SEP in u for u in opts["units"])
                               else None)
        if user().unit:
            st.sidebar.caption(f"本账户只能查看「{plain(org.label(user().unit))}」及其下级单位")
    else:
        st.sidebar.caption(f"单位：{plain(org.label(user().unit or ''))}（部门负责人只能查看本单位）")
    st.sidebar.multiselect("问题来源", opts["sources"], key="filter_sources", placeholder="全部来源")
    st.sidebar.multiselect("维度", opts["dimensions"], key="filter_dimensions", placeholder="全部维度")
    return True


# The blank templates (analytics.templates): (button, file name, builder), offered on 台账导入 and the empty start
TEMPLATES: tuple[tuple[str, str, Callable[[], bytes]], ...] = (
    ("问题整改台账模板", "问题整改台账模板.xlsx", templates.problem_template),
    ("监督清单模板", "监督清单模板.xlsx", templates.task_template),
    ("评分表模板", "政治生态评分表模板.xlsx", templates.score_template),
)
LEDGER_KINDS = (
    ("问题整改台账", "每季度一份，逐条列明问题、责任单位、整改措施、整改时限和整改状态。总览、问题趋势、整改销号、"
                   "八维评分和预警督办都据此计算。"),
    ("监督清单", "政治监督重点任务清单：监督方面、监督措施、责任单位、频次或完成时限、完成情况。「监督清单」页据此"
               "统计各季度应完成和已完成的措施。"),
    ("政治生态评分表", "各单位八个维度的评价得分。有评分表的季度，维度得分由台账计算的得分与评分表得分加权合成；"
                     "没有也可以，得分全按台账计算。"),
)


def template_buttons(where: object = st) -> None:
    """The three blank templates as download buttons, one per column (bytes built only when clicked)."""
    for col, (label, file_name, build) in zip(where.columns(len(TEMPLATES)), TEMPLATES, strict=True):
        col.download_button(label, data=build, file_name=file_name, mime=XLSX, on_click="ignore",
                            icon=":material/download:", key=f"template_{file_name}")


def require_data(title: str) -> None:
    """Stop the page with a friendly start when there is nothing to show yet: the page's title, what the three
    ledgers are, their blank templates and where to upload them."""
    if st.session_state.get("has_data"):
        period = st.session_state.get("filter_period")
        if dropped := options()["incomplete"].get(period):
            st.warning(f"{parse_period(period).label}有 {dropped} 个问题因台账中的错误未导入"
                       "（导入时选择了只导入有效行），本期统计数据不完整：修正台账后撤销该次导入并重新导入。",
                       icon=":material/warning:")
        not_reported_notice()
        return
    st.title(title)
    st.info("还没有问题台账数据。看板的数字都来自各季度导入的台账，导入第一份问题整改台账后，本页即显示分析结果。",
            icon=":material/info:")
    st.subheader("需要导入的三类台账")
    st.markdown("\n".join(f"- **{name}**：{text}" for name, text in LEDGER_KINDS))
    st.caption("台账可以是 Excel（.xlsx、.xlsm、.xls）或 CSV；已有台账不必改成模板格式，表头、日期和整改状态的"
               "常见写法都能识别，识别不了的会逐项询问。")
    st.subheader("空白模板")
    st.caption("按模板填写最省事：表头、下拉选项和填表说明都已备好。")
    template_buttons()
    if can(user(), "import"):
        st.page_link("app_pages/import_ledgers.py", label="前往台账导入，上传台账", icon="📥")
    else:
        st.caption("台账由纪委办导入，请联系纪委办。")
    st.stop()


def unit_label(keys: list[str]) -> Callable[[str], str]:
    """How the unit filter names its nodes: indented by level, by the path below the one company if only one."""
    companies = {k.split(SEP, 1)[0] for k in keys}
    below = next(iter(companies)) if len(companies) == 1 and any(SEP in k for k in keys) else None

    def label(key: str) -> str:
        return org.label(key, below) if key != below else key
    return label


@st.cache_data(show_spinner=False, max_entries=64)
def _not_reported(db: str, rev: int, who: User, period: str, scope: tuple) -> pd.DataFrame:
    with open_db(db, read_only=True) as con:
        return actions.not_reported(con, who, parse_period(period), Scope(*scope))


def not_reported_notice() -> None:
    """A notice when the chosen quarter's figures rest on units that reported nothing that quarter: their problems
    are carried over from the quarter before (analytics.workbooks.records.not_reported)."""
    rev = data_revision()
    if rev is None or not st.session_state.get("filter_period"):
        return
    period, scope = current_filters()
    missing = _not_reported(str(db_path()), rev, user(), str(period), scope_key(scope))
    if missing.empty:
        return
    names = "、".join(map(plain, missing["unit"].head(5))) + ("等" if len(missing) > 5 else "")
    st.warning(f"{period.label}有 {len(missing)} 个单位未报送台账（{names}）：其 {int(missing['carried'].sum())} "
               "个未完成整改的问题沿用上期状态，本期数字据此计算。收集情况见「更新表」页。", icon=":material/warning:")


def scope_caption() -> str:
    """The filters in words, for page captions."""
    period, scope = current_filters()
    parts = [period.label]
    for label, values in (("单位", scope.units), ("来源", scope.sources), ("维度", scope.dimensions)):
        if values:
            parts.append(f"{label}：{'、'.join(plain(org.label(v)) for v in values)}")
    return " ｜ ".join(parts)


def pct(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.1%}"


def delta(now: float | None, before: float | None, percent: bool = False) -> str | None:
    """Text for st.metric's delta: the change against the previous quarter ("持平" when none), None when unknown."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    change = round(now - before, 4 if percent else 1)
    if change == 0:
        return "持平"
    return f"{change:+.1%}" if percent else f"{change:+g}"


def arrow(now: float | None, before: float | None) -> str:
    """st.metric's delta_arrow: none for an unchanged figure."""
    unchanged = now is not None and before is not None and not pd.isna(now) and not pd.isna(before) and now == before
    return "off" if unchanged else "auto"


def tone(now: float | None, before: float | None, colour: str = "normal") -> str:
    """st.metric's delta_color: grey for an unchanged figure ("持平" is neither good nor bad news)."""
    return "off" if arrow(now, before) == "off" else colour


def scope_word(units: list[str] | tuple[str, ...] | None = None) -> str:
    """What the figures over the whole scope are called: 公司 for every unit, a unit's name when the scope holds
    one unit (a department head's, or the one in ``units``: those the page found in its data), 所选单位 for a
    chosen few."""
    own = user().unit.rsplit(SEP, 1)[-1] if user().unit else None  # a scoped account's own node, by its name
    if not can(user(), "all_units"):
        return own or "本单位"
    chosen = current_filters()[1].units
    if units is not None and len(units) == 1:
        return units[0]
    if chosen:
        return chosen[0] if len(chosen) == 1 else "所选单位"
    return own or "公司"


def one_unit(units: list[str] | tuple[str, ...] | pd.Series) -> str | None:
    """The unit's name when a panel that compares units has only one to show (then it says so, or changes)."""
    names = list(dict.fromkeys(units))
    return names[0] if len(names) == 1 else None


def due_text(days_left: float | None) -> str:
    """Days to a deadline in words: 逾期 N 天, 今日到期 (the quarter's end, as of which the page reads), 还有 N 天."""
    if days_left is None or pd.isna(days_left):
        return BLANK
    days = int(days_left)
    return f"逾期 {-days} 天" if days < 0 else ("今日到期" if days == 0 else f"还有 {days} 天")


def chart(figure: object, key: str | None = None, *, where: object = st, **options: object) -> object:
    """A Plotly chart the page's width, its mode bar in Chinese (chinese_ui.PLOTLY_CONFIG); the selection event
    when ``options`` ask for one."""
    event = where.plotly_chart(figure, width="stretch", key=key, config=chinese_ui.PLOTLY_CONFIG, **options)
    if said := charts.conclusion(figure):  # 核心结论: one sentence saying what the chart shows
        where.caption(f"核心结论：{plain(said)}")
    return event


def chinese_texts() -> None:
    """The style sheet that gives the file uploader and the charts' full-screen button their Chinese texts."""
    st.html(chinese_ui.style_sheet(int(st.get_option("server.maxUploadSize"))))


def _selection_seen(key: str, selection: object) -> bool:
    """Whether this selection was acted on already: a selection stays in its event on every rerun (any click on
    the page), and a dialog or a page switch must follow the click once, not every rerun after it."""
    seen = json.dumps(selection, sort_keys=True, default=str)
    if st.session_state.get(f"{key}_seen") == seen:
        return True
    st.session_state[f"{key}_seen"] = seen
    return False


def clicked(event: object, key: str) -> dict | None:
    """The point of a new chart selection (None when none, or the selection has not changed since the last run)."""
    points = list(((event or {}).get("selection") or {}).get("points") or [])
    if _selection_seen(key, points):
        return None
    return points[0] if points else None


def selected_row(event: object, key: str) -> int | None:
    """The position of a table's newly selected row (None when none, or it has not changed since the last run)."""
    rows = list(((event or {}).get("selection") or {}).get("rows") or [])
    if _selection_seen(key, rows):
        return None
    return int(rows[0]) if rows else None


def open_portrait(unit: str) -> None:
    """Go to 单位画像 showing this unit."""
    st.session_state[PORTRAIT_UNIT_KEY] = unit
    st.switch_page("app_pages/unit_portrait.py")


def portrait_on_click(event: object, key: str, axis: str, units: list[str]) -> None:
    """A chart whose points are units (``axis``: the point's field holding the unit, x or y): a click on one opens
    its portrait, for a user who may see portraits (else the chart is drawn without selection: see clickable)."""
    point = clicked(event, key)
    if point and point.get(axis) in units:
        open_portrait(point[axis])


def clickable() -> dict:
    """plotly_chart options making units' points clickable (portrait_on_click), for a user who sees portraits."""
    return {"on_select": "rerun", "selection_mode": "points"} if sees(user(), "portrait") else {}


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_download(label: str, build: Callable[[], bytes], file_name: str, mime: str, what: str, key: str, *,
                  where: object = st, **details: object) -> None:
    """A file's download button: the bytes built and the download recorded (actions.downloaded) only when the
    user clicks, outside the script run (nothing from st inside ``build``)."""
    db, who = db_path(), user()

    def made() -> bytes:
        content = build()
        actions.downloaded(db, who, what, content, **details)
        return content

    where.download_button(label, made, file_name=file_name, mime=mime, key=key, icon=":material/download:",
                          on_click="ignore")


def write(change: Callable) -> bool:
    """Run one audited change on the database (change(con) calls analytics.actions); a busy database or a refusal
    is said, not raised. Whether it was done."""
    try:
        with open_db(db_path()) as con:
            change(con)
    except (DashboardError, ValueError) as exc:
        st.error(plain(str(exc)))
        return False
    return True


def read(query: Callable):
    """query(con) on a read-only connection (the derived tables current: data_revision)."""
    data_revision()
    with open_db(db_path(), read_only=True) as con:
        return query(con)
