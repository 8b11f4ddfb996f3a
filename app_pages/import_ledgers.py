"""台账导入: blank templates, uploads checked before import (kind, header, columns, preview, errors), import, undo.

The way in for a new user, so it works on a missing or empty database and
never calls common.require_data(). The database is opened for writing only
while an import or an undo runs (open, write, close), so the CLI can share it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from analytics import actions
from analytics.config import FIELD_LABELS, KIND_LABELS
from analytics.db import open_db, table_exists
from analytics.errors import DashboardError, FileRejected, Issue, column_letter
from analytics.ingest.headers import Layout
from analytics.ingest.parse import ParsedFile
from analytics.ingest.worker import parse_in_worker
from analytics.periods import FILE_NAME, GIVEN, SEVERAL, TITLE, Period, PeriodOrigin, parse_period, quarter_of
from analytics.workbooks import marker as workbook_marker
from analytics.workbooks.marker import Marker
from app_pages import common, mapping, org_step, workbook_preview

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The browser offers these; a MIME type among them makes Streamlit leave the check to the browser (it would raise on
# a file of another type that got past it, unrecorded), so such a file reaches the importer: refused and recorded.
UPLOAD_TYPES = ["xlsx", "xlsm", "xls", "csv", XLSX_MIME, "text/csv"]
FIRST_PERIOD = Period(2020, 1)
PREVIEW_ROWS = 10
ORIGIN_LABELS = {GIVEN: "指定", FILE_NAME: "文件名", TITLE: "标题"}  # how a file's quarter was found
PARSED_KEY = "import_parsed"  # (digest, period, answers) → ParsedFile | FileRejected, for the files now uploaded
OUTCOME_KEY = "import_outcome"  # what the last import or undo did, shown after the rerun
UPLOADER_KEY = "import_uploader_round"  # bumped after an import, which empties the uploader
# labels that differ from FIELD_LABELS in a ledger kind
KIND_FIELD_LABELS = {"tasks": {"deadline": "完成时限", "status": "完成情况"}, "scores": {"unit": "单位"}}
PREVIEW_EXTRA = {"sheet": "工作表", "excel_row": "行号", "recurred_mark": "是否复发", "no_deadline": "无固定时限",
                 "done": "已完成", "status_basis": "状态依据", "measure_count": "措施数", "deadline_text": "时限原文",
                 "long_term": "长期坚持", "immediate": "立行立改"}
PREVIEW_HIDDEN = ("identity", "task_key", "category_guess")  # identity keys and guesses, meaningless to a reader
PREVIEW_SOURCE = {"recurred_mark": "recurred", "no_deadline": "deadline", "done": "status", "deadline_text": "deadline",
                  "long_term": "deadline", "immediate": "deadline", "co_units": "unit"}  # derived → its column
PREVIEW_ALWAYS = ("excel_row", "sheet", "source", "status", "status_basis", "measure_count")  # found, whatever the file
PREVIEW_ORDER = ("excel_row", "sheet", "seq", "problem_code", "source", "category", "parent", "description", "aspect",
                 "measure", "requirement", "unit", "co_units", "dimension", "score", "method", "owner", "leader",
                 "measure_count", "measures", "found_date", "deadline", "deadline_text", "no_deadline", "immediate",
                 "long_term", "frequency", "progress", "status", "status_basis", "done", "closed_date", "severity",
                 "recurred_mark", "remarks")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=])")


def md(text: object) -> str:
    """Ledger text (file, sheet, header names) made inert inside Streamlit markdown."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def field_label(kind: str, fld: str) -> str:
    return KIND_FIELD_LABELS.get(kind, {}).get(fld) or FIELD_LABELS.get(fld) or PREVIEW_EXTRA.get(fld, fld)


def kind_label(kinds: str) -> str:
    return "、".join(KIND_LABELS.get(k, k) for k in kinds.split(",") if k)


def period_label(p: str) -> str:
    return f"{parse_period(p).label}（{p}）"


@dataclass
class Upload:
    """One uploaded file and what the importer made of it, for the period chosen on the page."""

    name: str
    digest: str  # of name and bytes: the key of its widgets and of the parse cache
    parsed: ParsedFile | None = None
    rejected: FileRejected | None = None
    inferred: Period | None = None  # from the file name or title, before any choice
    inferred_origin: PeriodOrigin | None = None
    earlier_import: int | None = None  # an active import of the same bytes
    blocker: str | None = None  # why it cannot be imported now
    company: str | None = None  # 组织架构: the company it belongs to (org_step)
    unit_answers: dict | None = None  # the units it names that the register did not know, answered
    workbook: Marker | None = None  # a returned update workbook's marker (analytics.workbooks)

    @property
    def importable(self) -> bool:
        return self.parsed is not None and self.blocker is None


def _parse(name: str, data: bytes, digest: str, period: str | None) -> ParsedFile | FileRejected:
    """The file parsed in a worker process (capped in memory and time) with the saved profiles and this page's
    answers, remembered per session while the file stays uploaded (a period change or an answer re-parses once)."""
    cache = st.session_state.setdefault(PARSED_KEY, {})
    answers = mapping.answers_of(digest)
    known = mapping.saved_profiles()
    key = (digest, period, repr(answers.as_dict()), repr(sorted((k, repr(a.as_dict())) for k, a in known.items())))
    if key not in cache:
        try:
            cache[key] = parse_in_worker(name, data, parse_period(period) if period else None,
                                         saved=known, given=answers, scoring=common.scoring())
        except FileRejected as exc:
            _record_refusal(name, data, exc)
            cache[key] = exc
    return cache[key]


def _record_refusal(name: str, data: bytes, rejected: FileRejected) -> None:
    """A refused file (too large, not a spreadsheet, unreadable, hostile) lands in the audit trail as the CLI's do,
    once per parse (the result is remembered)."""
    actions.refused_file(common.db_path(), common.user(), name, hashlib.sha256(data).hexdigest(),
                         rejected.issues[0].reason if rejected.issues else str(rejected))


def _period_options(inferred: Period | None) -> list[str]:
    """Quarters from 2020Q1 to the current one, newest first (and the inferred one, if outside that span)."""
    last = quarter_of(dt.date.today())
    first = FIRST_PERIOD
    if inferred is not None:
        first, last = min(first, inferred), max(last, inferred)
    return [str(Period.from_index(i)) for i in range(last.index, first.index - 1, -1)]


def _imports() -> pd.DataFrame:
    """Every import, newest first; empty when there is no database yet."""
    path = common.db_path()
    if not path.exists():
        return pd.DataFrame()
    with open_db(path, read_only=True) as con:
        return actions.imports(con, common.user()) if table_exists(con, "imports") else pd.DataFrame()


def templates_section() -> None:
    st.subheader("1. 下载空白模板")
    st.caption("按模板填写最省事：表头、下拉选项和填表说明都已备好。已有台账不必改成模板格式，可直接上传。")
    common.template_buttons()


def outcome_section() -> None:
    """What the last import or undo did: kept in the session so it survives the rerun that follows it."""
    outcome = st.session_state.get(OUTCOME_KEY)
    if not outcome:
        return
    for n, entry in enumerate(outcome):
        show = {"imported": st.success, "undone": st.success, "duplicate": st.info}.get(entry["outcome"], st.error)
        show(md(f"{entry['file']}：{entry['message']}") if entry.get("file") else md(entry["message"]))
        if entry.get("issues"):
            with st.expander(f"跳过的错误行（{len(entry['issues'])} 处）"):
                issue_table(entry["issues"], entry["file"], f"outcome_issues_{n}")


def issue_table(issues: list[Issue], name: str, key: str) -> None:
    """The validation report of file ``name``: one row per issue, located to the Excel row and column."""
    frame = pd.DataFrame({
        "工作表": [i.sheet for i in issues],
        "行号": pd.array([i.row for i in issues], dtype="Int64"),
        "列": [_column_text(i) for i in issues],
        "值": ["" if i.value is None else str(i.value) for i in issues],
        "原因": [i.reason for i in issues],
    })
    common.table(frame, f"{name}校验问题", key, filtered=False, column_config={
        "工作表": st.column_config.TextColumn(width="small"),
        "行号": st.column_config.NumberColumn(format="%d", width="small", help="Excel 中的行号"),
        "列": st.column_config.TextColumn(width="small", help="列名（列字母）"),
        "值": st.column_config.TextColumn(width="medium"),
        "原因": st.column_config.TextColumn(width="large"),
    })


def _column_text(issue: Issue) -> str:
    if issue.column is None:
        return "" if issue.col_index is None else f"{column_letter(issue.col_index)} 列"
    return issue.column if issue.col_index is None else f"{issue.column}（{column_letter(issue.col_index)} 列）"


def check_upload(name: str, data: bytes, imported_shas: dict[str, int], skip_invalid: bool) -> Upload:
    """Parse one file, let the user confirm or choose its quarter, and say whether it can be imported."""
    digest = hashlib.sha256(name.encode() + b"\0" + data).hexdigest()[:16]
    upload = Upload(name, digest)
    first = _parse(name, data, digest, None)
    if isinstance(first, FileRejected):
        upload.rejected, upload.blocker = first, "无法读取"
        return upload
    upload.inferred, upload.inferred_origin = first.period, first.period_origin
    upload.workbook = workbook_marker.read(data)
    options = _period_options(first.period)
    chosen = st.selectbox(
        "所属期间", options, index=options.index(str(first.period)) if first.period else None,
        format_func=period_label, key=f"period_{digest}", placeholder="请选择期间",
        help="从文件名或标题识别；识别不到或识别有误时，请在这里选择。")
    if chosen is None or chosen == str(first.period):
        parsed = first
    else:
        parsed = _parse(name, data, digest, chosen)
        if isinstance(parsed, FileRejected):  # cannot happen for a file that parsed before, but never crash
            upload.rejected, upload.blocker = parsed, "无法读取"
            return upload
    upload.parsed = parsed
    upload.earlier_import = imported_shas.get(parsed.sha256)
    if parsed.period is None:
        upload.blocker = "请选择所属期间"
    elif upload.earlier_import is not None:
        upload.blocker = f"已导入过（导入记录 #{upload.earlier_import}）"
    elif parsed.blocking and not skip_invalid:
        upload.blocker = f"有 {len(parsed.blocking)} 项需要在「映射确认」中选择"
    elif parsed.issues and not skip_invalid:
        upload.blocker = f"有 {len(parsed.issues)} 处错误"
    elif parsed.rows_valid == 0:
        upload.blocker = "没有可导入的有效行"
    upload.company, upload.unit_answers, unplaced = org_step.place(digest, parsed)
    upload.blocker = upload.blocker or unplaced
    return upload


def show_upload(upload: Upload) -> None:
    """Everything the importer found in one file, before anything is written."""
    if upload.rejected is not None:
        st.error(md("此文件无法导入：" + "；".join(i.reason for i in upload.rejected.issues)))
        return
    parsed = upload.parsed
    assert parsed is not None
    origin = parsed.period_origin
    if parsed.period is None:
        several = f"文件名和标题中出现多个期间（{'、'.join(origin.seen)}）" if origin.how == SEVERAL else \
            "无法从文件名或标题识别季度"
        st.warning(md(several + "，请在上方选择所属期间。"))
    else:
        told = ORIGIN_LABELS[origin.how]
        if origin.how == GIVEN and upload.inferred is not None:
            told += f"；从{ORIGIN_LABELS[upload.inferred_origin.how]}识别的是 {upload.inferred}"
        st.markdown(f"**期间**：{period_label(str(parsed.period))}，来源：{told}")
    st.markdown(f"**类型**：{kind_label(parsed.kind)}")
    mapping.mapping_step(upload.digest, parsed)
    for sheet in parsed.sheets:
        layout = sheet.layout
        two_rows = "（两行表头）" if layout.header_height == 2 else ""
        st.markdown(f"**工作表「{md(sheet.name)}」**：{KIND_LABELS[layout.kind]}，"
                    f"表头在第 {layout.header_row + 1} 行{two_rows}")
        mapping_table(sheet.layout, f"{parsed.name}「{sheet.name}」", f"mapping_{upload.digest[:12]}_{sheet.name}")
    if parsed.ignored_sheets:
        st.caption("未导入的工作表：" + "；".join(f"「{md(n)}」{md(why)}" for n, why in parsed.ignored_sheets))
    counts = st.columns(4)
    counts[0].metric("有效行", _valid_rows(parsed))
    counts[1].metric("问题数", sum(s.rows.num_rows for s in parsed.sheets if s.layout.kind == "problems"))
    counts[2].metric("有错误的行", parsed.rows_invalid)
    counts[3].metric("跳过的行", parsed.rows_skipped)
    skipped = sum((s.skipped for s in parsed.sheets), Counter())
    if skipped:
        st.caption("跳过：" + "、".join(f"{md(why)} {n} 行" for why, n in skipped.most_common()))
    preview(parsed, f"preview_{upload.digest[:12]}")
    workbook_preview.show(parsed, upload.workbook, f"workbook_{upload.digest[:12]}")
    issues = [i for i in parsed.issues if not (parsed.period is None and i.sheet is None and i.reason ==
                                               parsed.period_origin.problem())]  # said above, in the page's words
    if issues:
        st.markdown(f"**校验报告**：发现 {len(issues)} 处错误")
        issue_table(issues, parsed.name, f"issues_{upload.digest[:12]}")
    else:
        st.markdown("**校验报告**：未发现错误")


def _valid_rows(parsed: ParsedFile) -> int:
    """Excel rows that will be imported: a wide score sheet yields one record per dimension, counted once here; a
    problem over several measure rows, each of its rows."""
    return parsed.rows_valid


def mapping_table(layout: Layout, name: str, key: str) -> None:
    """原表头 → 字段, how each was recognised (映射来源), and the headers that will not be imported."""
    field_of = {col: fld for fld, col in layout.columns.items()} | {c: "status" for c in layout.status_columns}
    rows = []
    for col, header in sorted(layout.headers.items()):
        how = (mapping.SOURCE_LABEL["answered"] if col in layout.answered else
               mapping.SOURCE_LABEL["sniffed"] if col in layout.sniffed else mapping.SOURCE_LABEL["column"])
        if col in field_of:
            rows.append((header, column_letter(col), field_label(layout.kind, field_of[col]), how))
        elif col in layout.dimension_columns:
            rows.append((header, column_letter(col), f"得分（{layout.dimension_columns[col]}）", how))
    common.table(pd.DataFrame(rows, columns=["原表头", "列", "导入为", "映射来源"]), f"{name}列映射", key,
                 filtered=False, column_config={
        "原表头": st.column_config.TextColumn(width="medium"),
        "列": st.column_config.TextColumn(width="small"),
        "导入为": st.column_config.TextColumn(width="medium"),
        "映射来源": st.column_config.TextColumn(width="small"),
    })
    if layout.unmapped:
        st.caption("未导入的列：" + "、".join(f"「{md(h)}」" for h in layout.unmapped))
    if layout.ignored:
        st.caption("按映射不导入的列：" + "、".join(f"「{md(h)}」" for h in layout.ignored))
    if layout.duplicates:
        st.caption("重复的列（只导入同名的第一列）：" + "、".join(f"「{md(h)}」" for h in layout.duplicates))


def preview(parsed: ParsedFile, key: str) -> None:
    """The first valid rows as they will be stored (normalised), with Chinese column names."""
    for kind in parsed.kinds:
        table = parsed.rows(kind)
        if not table.num_rows:
            continue
        sheets = [s for s in parsed.sheets if s.layout.kind == kind]
        present = {f for s in sheets for f in s.layout.columns}
        keep = [c for c in table.column_names if _shown(c, kind, present, len(sheets) > 1)]
        keep.sort(key=lambda c: PREVIEW_ORDER.index(c) if c in PREVIEW_ORDER else len(PREVIEW_ORDER))
        frame = table.select(keep).slice(0, PREVIEW_ROWS).to_pandas()
        frame.columns = [field_label(kind, c) for c in keep]
        shown = min(PREVIEW_ROWS, table.num_rows)
        st.markdown(f"**预览**（{KIND_LABELS[kind]}，前 {shown} 行，共 {table.num_rows} 行）")
        common.table(frame, f"{parsed.name}预览", f"{key}_{kind}", filtered=False)


def _shown(column: str, kind: str, present: set[str], several_sheets: bool) -> bool:
    """Columns the file had, plus what is always derived; not the identity keys, nor the sheet of a one-sheet file."""
    if column in PREVIEW_HIDDEN or (column == "sheet" and not several_sheets):
        return False
    if kind == "scores" or (kind == "problems" and column in PREVIEW_ALWAYS) or column in ("excel_row", "sheet"):
        return True  # a source can come from headings, a status from several columns
    if column == "frequency":  # 完成时限 often holds 每季度
        return bool(present & {"frequency", "deadline"})
    return PREVIEW_SOURCE.get(column, column) in present


def upload_section() -> None:
    st.subheader("2. 上传台账")
    round_no = st.session_state.setdefault(UPLOADER_KEY, 0)
    files = st.file_uploader("选择台账文件（可多选）", type=UPLOAD_TYPES, accept_multiple_files=True,
                             key=f"uploader_{round_no}",
                             help="问题整改台账、监督清单、评分表；Excel（.xlsx/.xlsm/.xls）或 CSV（UTF-8 或 GBK）。")
    skip_invalid = st.checkbox("只导入有效行（跳过有错误的行）", key="skip_invalid",
                               help="不勾选时，有任何错误的文件整个不导入，便于修正后重新导入。")
    if not files:
        st.session_state.pop(PARSED_KEY, None)
        return
    try:
        imports = _imports()
    except DashboardError as exc:
        st.error(md(str(exc)))
        return
    active = imports[imports["undone_at"].isna()] if not imports.empty else imports
    imported_shas = dict(zip(active["sha256"], active["import_id"], strict=True)) if not active.empty else {}
    uploads = []
    for f in files:
        with st.expander(md(f.name), expanded=True):
            try:
                upload = check_upload(f.name, f.getvalue(), imported_shas, skip_invalid)
                show_upload(upload)
            except DashboardError as exc:  # e.g. a broken data/ledger.toml
                st.error(md(str(exc)))
                continue
        uploads.append(upload)
    # forget parses and answers of files no longer uploaded
    digests = {u.digest for u in uploads}
    cache = st.session_state.get(PARSED_KEY, {})
    for key in [k for k in cache if k[0] not in digests]:
        del cache[key]
    mapping.forget(digests)
    org_step.forget(digests)
    import_section(uploads, skip_invalid)


def import_section(uploads: list[Upload], skip_invalid: bool) -> None:
    ready = sorted((u for u in uploads if u.importable), key=lambda u: u.parsed.period)  # in quarter order
    waiting = [u for u in uploads if not u.importable]
    st.markdown("**导入**")
    for u in ready:
        p = u.parsed
        extra = f"，跳过有错误的 {p.rows_invalid} 行" if p.rows_invalid else ""
        st.markdown(md(f"✓ {u.name}：{kind_label(p.kind)}，{p.period}，{_valid_rows(p)} 行{extra}"))
    for u in waiting:
        st.markdown(md(f"✗ {u.name}：{u.blocker}，不导入"))
    clicked = st.button(f"导入 {len(ready)} 个文件" if ready else "没有可导入的文件", type="primary",
                        disabled=not ready, key="import_button")
    if clicked:
        run_import(ready, skip_invalid)


def run_import(ready: list[Upload], skip_invalid: bool) -> None:
    """Store each file in its own transaction, with progress; then rerun so every page sees the new data."""
    outcome = []
    with st.status("正在导入…", expanded=True) as status:
        progress = st.progress(0.0, text=f"共 {len(ready)} 个文件")
        try:
            with open_db(common.db_path()) as con:
                for i, u in enumerate(ready, 1):
                    status.update(label=f"正在导入 {u.name}（{i}/{len(ready)}）")
                    result = actions.import_file(con, common.user(), u.parsed, skip_invalid, cfg=common.scoring(),
                                                 company=u.company, unit_answers=u.unit_answers, workbook=u.workbook)
                    if result.outcome == "imported":  # the answers given for this layout: asked no more
                        actions.remember_answers(con, common.user(), u.parsed)
                        actions.assign_answered_categories(con, common.user(), u.parsed, common.scoring())
                    outcome.append({"file": result.file, "outcome": result.outcome, "message": result.message,
                                    "period": result.period,
                                    "issues": result.issues if result.outcome == "imported" else []})
                    progress.progress(i / len(ready), text=f"已处理 {i}/{len(ready)} 个文件")
        except DashboardError as exc:  # DatabaseBusy: the CLI is writing
            outcome.append({"file": "", "outcome": "error", "message": str(exc)})
            status.update(label="导入中断", state="error")
        else:
            status.update(label="导入完成", state="complete")
    st.session_state[OUTCOME_KEY] = outcome
    imported = [e for e in outcome if e["outcome"] == "imported"]
    if imported:
        st.session_state.pop("undo_id", None)  # the undo choice starts again at the newest import
        newest = max(parse_period(e["period"]) for e in imported)
        current = st.session_state.get("filter_period")
        if current is None or parse_period(current) < newest:
            # the sidebar falls back to the newest quarter when its choice is gone
            st.session_state.pop("filter_period", None)
    if all(e["outcome"] in ("imported", "duplicate") for e in outcome):
        st.session_state[UPLOADER_KEY] += 1  # empty the uploader: its files are in
        st.session_state.pop(PARSED_KEY, None)
    st.rerun()


def history_section() -> None:
    st.subheader("3. 导入记录")
    try:
        frame = _imports()
    except DashboardError as exc:
        st.error(md(str(exc)))
        return
    if frame.empty:
        st.info("还没有导入记录。")
        return
    undone = frame["undone_at"].notna()
    table = pd.DataFrame({
        "编号": frame["import_id"],
        "文件名": frame["file_name"],
        "类型": [kind_label(k) for k in frame["kind"]],
        "期间": frame["period"],
        "期间来源": [ORIGIN_LABELS.get(o, o) for o in frame["period_origin"]],  # older rows hold the label
        "工作表": frame["sheets"],
        "有效行": frame["rows_valid"],
        "错误行": frame["rows_invalid"],
        "舍弃问题": frame["problems_dropped"],
        "跳过行": frame["rows_skipped"],
        "新增问题": frame["problems_new"],
        "更新问题": frame["problems_updated"],
        "导入时间": frame["imported_at"],
        "状态": ["已撤销" if u else "有效" for u in undone],
        "撤销时间": frame["undone_at"],
    })
    common.table(table, "导入记录", "imports_table", filtered=False, column_config={
        "编号": st.column_config.NumberColumn(format="#%d", width="small"),
        "导入时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        "撤销时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
    })
    active = frame[~undone]
    if active.empty:
        st.caption("没有可撤销的导入。")
        return
    names = {int(r.import_id): f"#{r.import_id} {r.file_name}（{r.period}）" for r in active.itertuples()}
    st.markdown("**撤销导入**：移除该次导入的数据，之前的数据恢复原样；撤销后可重新导入。")
    choice = st.selectbox("选择要撤销的导入", list(names), format_func=names.get, key="undo_id")
    confirm = st.checkbox("确认撤销", key="undo_confirm")
    if st.button("撤销导入", disabled=not confirm, key="undo_button"):
        try:
            with open_db(common.db_path()) as con:
                message = actions.undo(con, common.user(), int(choice), cfg=common.scoring())
        except DashboardError as exc:
            st.error(md(str(exc)))
            return
        st.session_state[OUTCOME_KEY] = [{"file": "", "outcome": "undone", "message": message}]
        for key in ("undo_confirm", "undo_id"):  # the next undo asks again, from the newest import
            st.session_state.pop(key, None)
        st.rerun()


def main() -> None:
    st.title("台账导入")
    st.caption("上传季度台账，先检查识别结果和错误，确认后导入；导入有误可在导入记录中撤销。")
    outcome_section()
    templates_section()
    upload_section()
    history_section()


main()
