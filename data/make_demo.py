"""Writes the bundled demo: six quarters of ledgers for an invented company.

Run: python data/make_demo.py [out_dir]   (default: data/demo/ beside this script)

The company (滇峰资源综合利用有限公司), its units and problems are invented. The
files are ordinary ledgers in the shapes met in practice (title rows, two-row
headers, section headings, text dates, 合计 rows, notes, instruction sheets,
GBK CSV), so the app imports them exactly as it would a user's upload.
Deterministic: seeded random.Random(20240101) and fixed document timestamps, so
two runs write byte-identical files.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import io
import random
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

SEED = 20240101
COMPANY = "滇峰资源综合利用有限公司"
FILER = "纪委办公室"
CN_NUM = "一二三四五六七八九十"

DIMENSIONS = (
    "加强党的政治建设",
    "严肃党内政治生活",
    "突出政治标准选人用人",
    "加强干部作风建设",
    "严明政治纪律和政治规矩",
    "惩治腐败与廉洁建设",
    "落实管党治党两个责任",
    "培育积极健康的党内政治文化",
)
# 问题类别 as offices write it: (dimension, word, words in the problem text calling
# for it); a rule without words is the dimension's default. None = matches no dimension.
CATEGORY_RULES = (
    (1, "政治建设", ()),
    (2, "党内政治生活", ()),
    (3, "选人用人", ()),
    (4, "中央八项规定", ("招待", "用车", "公车", "津贴", "差旅", "宴请", "食堂", "报销")),
    (4, "四风", ("文山会海", "走过场", "推诿")),
    (4, "作风建设", ()),
    (5, "政治纪律", ()),
    (6, "三重一大", ("三重一大", "集体决策")),
    (6, "廉洁建设", ()),
    (7, "一岗双责", ("一岗双责",)),
    (7, "两个责任", ()),
    (8, "廉洁文化", ("廉洁", "纪法", "警示")),
    (8, "政治文化", ()),
    (None, "安全生产", ("安全",)),
    (None, "环保管理", ("环保",)),
    (None, "生产经营", ()),
)
UNCLASSIFIED_SHARE = 0.065

# normalised source -> (code prefix, forms written in ledgers, section heading)
SOURCES = {
    "巡视巡察": ("XC", ("巡察", "巡视巡察", "巡察反馈", "巡视"), "巡视巡察反馈问题"),
    "审计": ("SJ", ("审计", "内部审计", "经济责任审计"), "审计发现问题"),
    "日常监督": ("RC", ("日常监督",), "日常监督发现问题"),
    "专项监督": ("ZX", ("专项监督",), "专项监督发现问题"),
    "信访举报": ("XF", ("信访举报",), "信访举报反映问题"),
    "沟通会商": ("HS", ("沟通会商",), "沟通会商议定问题"),
    "自查自纠": ("ZC", ("自查自纠",), "自查自纠问题"),
    "其他": ("QT", ("其他",), "其他问题"),
}
SOURCE_ORDER = tuple(SOURCES)
PETITION = "信访举报"  # kept in the CSV ledgers, which have no code column

# problems found per quarter, by source (same order as SOURCES)
FOUND_PLAN = (
    (14, 0, 6, 8, 4, 2, 5, 1),
    (0, 10, 7, 8, 4, 2, 6, 1),
    (4, 0, 8, 9, 5, 3, 6, 2),
    (0, 12, 7, 7, 4, 2, 8, 1),
    (13, 0, 6, 8, 4, 2, 4, 1),
    (0, 6, 8, 9, 5, 3, 6, 2),
)
# batch feedback dates (month, day) for inspection and audit, by quarter index
BATCH_DATES = {
    ("巡视巡察", 0): (1, 15),
    ("巡视巡察", 2): (8, 20),
    ("巡视巡察", 4): (2, 26),
    ("审计", 1): (5, 16),
    ("审计", 3): (11, 8),
    ("审计", 5): (4, 22),
}

STATUSES = ("未启动", "整改中", "已整改", "已销号", "长期整改")
OPEN_STATUSES = frozenset({"未启动", "整改中", "长期整改"})
SEVERITY_POINTS = {"一般": 2, "较重": 4, "严重": 8}
LEADERS = ("张建国", "刘卫东", "杨海涛", "黄志红", "马丽萍")


@dataclass(frozen=True)
class Quarter:
    """One reporting quarter, e.g. 2024Q3 (ends 2024-09-30)."""

    year: int
    q: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        return month_end(self.year, 3 * self.q)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def cn(self) -> str:
        """2024年第一季度"""
        return f"{self.year}年第{CN_NUM[self.q - 1]}季度"

    @property
    def filed(self) -> dt.date:
        """填报日期: a few days after the quarter ends."""
        return self.end + dt.timedelta(days=3)

    @property
    def stamp(self) -> dt.datetime:
        """Fixed document timestamp for files of this quarter."""
        return dt.datetime.combine(self.filed, dt.time(17, 30))


QUARTERS = tuple(Quarter(y, q) for y, q in ((2024, 1), (2024, 2), (2024, 3), (2024, 4), (2025, 1), (2025, 2)))


@dataclass(frozen=True)
class UnitProfile:
    """What a unit does, who answers for it, and how it tends to fare."""

    org: str
    areas: tuple[str, ...]
    topics: tuple[str, ...]
    owners: tuple[str, ...]
    leader: str
    weight: float
    slowness: float
    dim_weights: dict[int, float]
    severe_bias: float = 1.0


UNITS = {
    "综合管理部": UnitProfile(
        "综合管理部党支部",
        ("行政后勤组", "公务用车班", "职工食堂", "档案室", "督办组"),
        ("公务接待", "督办事项", "公务用车", "食堂采购", "会议管理"),
        owners=("李明", "孙伟"),
        leader=LEADERS[0],
        weight=1.0,
        slowness=0.9,
        dim_weights={4: 3.0, 1: 2.0, 7: 1.5},
    ),
    "冶炼厂": UnitProfile(
        "冶炼厂党总支",
        ("熔炼车间", "电解车间", "硫酸车间", "浸出车间", "综合回收车间"),
        ("技改项目", "生产辅助业务外包", "备品备件领用", "检修工程", "锌锭产量质量"),
        owners=("王强", "段云飞", "普学文"),
        leader=LEADERS[1],
        weight=1.6,
        slowness=1.0,
        dim_weights={2: 2.0, 4: 2.0, 7: 2.0, 6: 1.5},
    ),
    "采购部": UnitProfile(
        "采购部党支部",
        ("大宗原料采购组", "备品备件采购组", "招标管理组", "供应商管理组"),
        ("单一来源采购", "询价采购", "大宗原料采购", "框架协议采购", "供应商准入"),
        owners=("陈刚", "罗晓东"),
        leader=LEADERS[2],
        weight=1.9,
        slowness=2.0,
        dim_weights={6: 5.0, 4: 2.5, 7: 3.0, 5: 2.0},
        severe_bias=1.8,
    ),
    "物流部": UnitProfile(
        "物流部党支部",
        ("计量站", "中心仓库", "运输车队", "原料堆场"),
        ("检斤计量", "高价值物料出入库", "运输结算", "呆滞物资处置", "汽运承运商管理"),
        owners=("周涛", "李春华"),
        leader=LEADERS[2],
        weight=1.3,
        slowness=1.5,
        dim_weights={6: 3.5, 4: 2.0},
    ),
    "人力资源部": UnitProfile(
        "人力资源部党支部",
        ("干部管理科", "薪酬科", "培训科", "招聘组"),
        ("干部选拔任用", "薪酬核定", "职工招聘", "绩效考核", "劳务派遣管理"),
        owners=("赵丽", "杨帆"),
        leader=LEADERS[3],
        weight=0.8,
        slowness=0.9,
        dim_weights={3: 5.0, 2: 1.5},
    ),
    "财务部": UnitProfile(
        "财务部党支部",
        ("会计核算科", "资金管理科", "预算科"),
        ("费用报销", "资金支付", "津贴补贴发放", "预算执行", "往来款清理"),
        owners=("何敏", "施红梅"),
        leader=LEADERS[4],
        weight=0.9,
        slowness=0.8,
        dim_weights={4: 3.0, 6: 2.0},
    ),
    "工程管理部": UnitProfile(
        "工程管理部党支部",
        ("项目管理科", "造价科", "技改项目部", "基建项目部"),
        ("工程招投标", "工程量签证", "承包商管理", "工程变更", "竣工结算"),
        owners=("吴军", "张斌"),
        leader=LEADERS[1],
        weight=1.3,
        slowness=1.2,
        dim_weights={6: 3.5, 7: 1.5},
    ),
    "销售部": UnitProfile(
        "销售部党支部",
        ("产品销售科", "属地品销售组", "客户服务组"),
        ("属地品销售", "客户授信", "销售定价", "副产品销售", "货款回收"),
        owners=("郑华", "赵云峰"),
        leader=LEADERS[4],
        weight=0.9,
        slowness=0.9,
        dim_weights={6: 2.5, 4: 1.5},
    ),
    "党群工作部": UnitProfile(
        "党群工作部党支部",
        ("组织科", "宣传科", "工会", "团委"),
        ("党建考核", "廉洁文化建设", "宣传思想工作", "党费管理", "组织生活"),
        owners=("冯静", "朱燕"),
        leader=LEADERS[3],
        weight=0.6,
        slowness=0.8,
        dim_weights={8: 4.0, 2: 3.0, 1: 2.0},
    ),
    "法务合规部": UnitProfile(
        "法务合规部党支部",
        ("合同管理科", "合规管理科", "法律事务组"),
        ("合同审核", "制度立改废", "合规审查", "法律纠纷处置", "授权管理"),
        owners=("钱芳", "林涛"),
        leader=LEADERS[0],
        weight=0.5,
        slowness=0.7,
        dim_weights={5: 4.0, 7: 1.5},
    ),
}

# source affinities: which units and dimensions a source tends to hit
SOURCE_UNIT_WEIGHTS = {
    "审计": {"财务部": 3.0, "采购部": 3.0, "工程管理部": 2.5, "物流部": 2.0, "销售部": 2.0},
    "信访举报": {"冶炼厂": 2.0, "采购部": 2.5, "物流部": 2.0, "工程管理部": 2.0, "销售部": 1.5},
}
SOURCE_DIM_WEIGHTS = {
    "审计": {6: 3.0, 4: 2.0, 7: 1.0},
    "信访举报": {4: 3.0, 6: 3.0, 5: 1.5, 3: 1.5, 7: 1.0, 1: 0.0, 2: 0.0, 8: 0.0},
    "专项监督": {6: 2.5, 4: 2.5},
    "沟通会商": {7: 3.0, 1: 2.0, 2: 1.5},
}

# problem texts: (dimension or None for 未归类, units or None for any, template)
TEMPLATES = (
    (1, None, "落实“第一议题”制度不到位，{org}{m}月会议未及时传达学习上级重要指示精神"),
    (1, None, "贯彻落实习近平总书记重要指示批示精神台账更新不及时，{n}项事项未跟踪问效"),
    (1, None, "对公司党委关于{topic}的决策部署贯彻落实打折扣，推进进度滞后于计划"),
    (1, None, "《公司党委贯彻落实党的二十大精神重点事项清单》中涉及{area}的{n}项任务未按期推进"),
    (1, None, "{org}理论学习与{topic}工作结合不紧，学习成果转化不明显"),
    (1, None, "落实上级决策部署缺乏跟踪问效机制，{topic}工作存在“上热中温下凉”现象"),
    (2, None, "{org}组织生活会批评与自我批评辣味不足，问题查摆不深入"),
    (2, None, "民主生活会会前谈心谈话未全覆盖，{n}名班子成员谈话记录缺失"),
    (2, None, "“三会一课”记录不规范，{m}月支部委员会会议记录缺少议题和表决情况"),
    (2, None, "党员领导干部参加双重组织生活不经常，{area}支部活动参加次数少于规定"),
    (2, None, "中心组学习流于形式，研讨发言未联系{topic}工作实际"),
    (2, None, "组织生活会查摆问题整改清单未建立，上年度{n}项问题整改情况未通报"),
    (3, None, "{area}负责人选聘程序不规范，考察结果未按规定公示"),
    (3, None, "新提拔干部任前廉洁谈话未全覆盖，{n}名{area}管理人员未签订廉洁自律承诺书"),
    (3, None, "后备干部培养考察不到位，{area}负责人岗位长期由同一人员代管"),
    (3, None, "干部考察材料内容简单，对{topic}工作业绩和廉洁情况反映不全面"),
    (3, ("人力资源部",), "干部选拔任用民主推荐环节记录不完整，{n}份推荐票统计表缺少监票人签字"),
    (3, ("人力资源部",), "干部人事档案专项审核发现{n}份档案出生日期、入党时间认定依据不足"),
    (3, ("人力资源部",), "竞聘上岗评分标准未提前公开，评委组成不符合规定"),
    (4, None, "业务招待超标准、超范围，{m}月{n}次接待无公函"),
    (4, None, "履职待遇、业务支出管理不规范，{n}笔差旅费报销超标准"),
    (4, None, "文山会海问题仍然存在，{m}月{org}组织会议{n}次，部分内容重复"),
    (4, None, "调研走过场，{area}反映的问题长期未解决"),
    (4, None, "对基层反映的{topic}问题推诿扯皮，办理时限超过规定"),
    (4, None, "违规发放津贴补贴，{topic}相关奖励未经集体研究"),
    (4, ("综合管理部",), "食堂管理账目不清，{m}月食材采购台账与实物不符"),
    (4, ("综合管理部",), "公务用车使用登记不规范，{n}次出车未履行审批手续"),
    (4, ("财务部",), "费用报销审核把关不严，{n}笔招待费无消费清单"),
    (5, None, "执行请示报告制度不严格，{topic}重大事项未按规定报告"),
    (5, None, "对上级巡察反馈问题整改敷衍应付，{n}项问题整改材料与实际不符"),
    (5, None, "个人有关事项报告不如实，{area}{n}名人员漏报"),
    (5, None, "保密管理不规范，{n}份涉密文件未按规定登记"),
    (5, None, "网络意识形态管理不到位，{org}工作群转发不当言论未及时处置"),
    (5, ("法务合规部",), "规章制度修订不及时，{n}项制度与上级规定不一致"),
    (5, ("法务合规部",), "授权管理不规范，{n}份授权委托书超期未收回"),
    (6, None, "“三重一大”事项决策程序不规范，{topic}事项未经党委会前置研究"),
    (6, None, "合同管理不规范，{n}份{topic}合同先执行后签订"),
    (6, None, "职工投资关联企业情况申报不全，{area}{n}名人员未申报"),
    (6, None, "廉洁风险防控措施落实不到位，{topic}关键岗位未按期轮岗"),
    (6, ("采购部",), "单一来源采购论证不充分，{n}个项目未履行集体决策程序"),
    (6, ("采购部",), "未按照询价文件规定的评标标准进行评标，{topic}项目评审记录不完整"),
    (6, ("采购部",), "供应商准入审核不严，{n}家供应商存在关联关系未识别"),
    (6, ("采购部",), "{topic}比价资料不全，{m}月{n}笔采购价格明显高于市场价"),
    (6, ("采购部",), "拆分采购规避招标，{n}批{topic}分拆后按询价采购实施"),
    (6, ("物流部",), "高价值物料出入库检斤记录缺失，{area}账实不符"),
    (6, ("物流部",), "计量器具校验不及时，{area}检斤数据存在人为修改痕迹"),
    (6, ("物流部", "冶炼厂"), "呆滞物资清理不到位，{area}积压物资{n}批未处置"),
    (6, ("工程管理部",), "承包商管理不到位，{n}家分包单位资质审核缺失"),
    (6, ("工程管理部",), "工程量签证审核把关不严，{area}项目签证工程量与现场不符"),
    (6, ("工程管理部", "冶炼厂"), "生产辅助业务工作量签证不规范，{m}月{n}项签证无现场确认"),
    (6, ("销售部",), "属地品销售定价未履行审批程序，{n}笔合同价格低于指导价"),
    (6, ("销售部",), "客户授信超权限审批，{n}家客户欠款超过信用额度"),
    (7, None, "“一岗双责”履责清单未按季度更新，{n}名班子成员履责记录缺失"),
    (7, None, "主体责任落实不到位，{org}全年未专题研究党风廉政建设工作"),
    (7, None, "党风廉政建设责任书签订后未开展考核，责任传导“上热中温下凉”"),
    (7, None, "“双报告”制度执行不到位，{m}月未按时报送履责情况"),
    (7, None, "对{topic}领域廉洁风险排查不深入，风险防控清单未更新"),
    (7, None, "对{area}管理人员日常监督缺位，谈心谈话未按计划开展"),
    (8, None, "廉洁文化教育活动覆盖面不足，{area}一线人员参与率低"),
    (8, None, "警示教育针对性不强，未结合{topic}领域典型案例开展"),
    (8, None, "“送纪法进基层”活动开展少于计划，{area}{n}个班组未覆盖"),
    (8, None, "新入职员工廉洁教育未纳入{area}岗前培训"),
    (8, None, "家风建设活动开展不经常，{org}未组织廉洁家访"),
    (8, ("党群工作部",), "廉洁文化长廊内容更新不及时，{m}月后未更换学习内容"),
    (None, None, "{area}安全生产责任制考核流于形式，{n}项隐患整改未闭环"),
    (None, None, "{area}环保设施运行记录不完整，{m}月台账缺失"),
    (None, None, "{topic}经营指标分解不细，月度经营分析会未按期召开"),
)
# what petitions (信访举报) report, by dimension
PETITION_TEMPLATES = (
    (3, "反映{area}负责人选拔过程中存在“拉票”现象"),
    (3, "反映{area}招聘录用人员中存在优亲厚友问题"),
    (4, "反映{area}负责人违规接受管理服务对象宴请"),
    (4, "反映{org}有关人员{m}月公车私用"),
    (4, "反映{area}管理人员作风粗暴，对职工诉求推诿扯皮"),
    (4, "反映{topic}过程中存在吃拿卡要问题"),
    (5, "反映{area}负责人违规干预{topic}工作"),
    (5, "反映{area}有关人员泄露{topic}内部信息"),
    (6, "反映{topic}中存在利益输送问题"),
    (6, "反映{area}有关人员与{topic}相关单位存在经济往来"),
    (6, "反映{area}有关人员利用职务便利为亲属经营企业谋利"),
    (7, "反映{org}对职工举报问题查处不力，“一岗双责”落实不到位"),
    (7, "反映{area}负责人对下属违规问题包庇纵容，职工{m}月反映的问题未处理"),
)

MEASURES = {
    1: ("组织专题学习，建立传达学习台账，每月检查执行情况", "建立决策部署落实跟踪清单，按月通报推进情况"),
    2: ("重新召开专题组织生活会，逐条制定整改措施", "规范“三会一课”记录，党群工作部每季度抽查"),
    3: ("补齐干部选拔任用程序材料，完善纪实档案", "组织任前廉洁谈话全覆盖，补签廉洁自律承诺书"),
    4: ("开展专项清理，违规款项全额退回，修订管理办法", "建立审批登记台账，纪委办公室每季度抽查"),
    5: ("修订完善相关制度，组织全员学习", "对照上级规定逐项梳理，建立请示报告清单"),
    6: (
        "完善集体决策程序，对相关人员进行提醒谈话",
        "开展专项核查，建立廉洁风险防控清单",
        "修订管理细则，关键岗位实行轮岗",
    ),
    7: ("修订“一岗双责”履责清单，按季度跟踪督促", "召开专题会研究部署，层层压实主体责任"),
    8: ("制定年度廉洁教育计划，扩大覆盖面", "结合典型案例开展警示教育，更新廉洁文化长廊内容"),
    None: ("开展隐患排查治理，落实整改责任", "完善管理台账，明确责任人限期整改"),
}
PETITION_MEASURES = (
    "调查核实后对相关人员进行提醒谈话，举一反三开展自查",
    "经初步核实，责成责任单位限期整改并书面报告",
)
PROGRESS = {
    "未启动": ("已制定整改方案，尚未实施", "正在研究整改方案"),
    "整改中": ("已完成部分整改任务，正在推进", "已制定整改方案，按计划推进"),
    "已整改": ("整改已完成，待纪委办公室验收", "已完成整改，提交销号申请"),
    "已销号": ("经验收已销号", "整改到位，验收销号"),
    "长期整改": ("已建立长效机制，持续整改",),
}


@dataclass
class Problem:
    """One problem and the dates that drive its status in every later ledger."""

    code: str
    source: str
    source_text: str
    dimension: int | None
    category: str
    description: str
    unit: str
    owner: str
    leader: str
    measures: str
    severity: str
    found: dt.date
    found_q: int
    deadline: dt.date | None
    deadline_word: str | None = None
    start: dt.date | None = None
    rectified: dt.date | None = None
    closed: dt.date | None = None
    converts_long_term: bool = False
    blank_closed_date: bool = False
    born_recurred: bool = False
    reopened: dt.date | None = None
    new_deadline: dt.date | None = None
    re_rectified: dt.date | None = None
    re_closed: dt.date | None = None

    @property
    def has_code(self) -> bool:
        return self.source != PETITION


@dataclass(frozen=True)
class Snapshot:
    """A problem as one quarter's ledger shows it."""

    status: str
    deadline: dt.date | None
    closed: dt.date | None
    recurred: bool
    remarks: str

    def overdue_days(self, end: dt.date) -> int:
        """Days past a dated deadline at `end` while open (逾期); 0 if not overdue."""
        if self.status in OPEN_STATUSES and self.deadline and self.deadline < end:
            return (end - self.deadline).days
        return 0


# ---------------------------------------------------------------- dates


def month_end(year: int, month: int) -> dt.date:
    """Last day of a month; months past 12 roll into the next year."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def is_month_end(d: dt.date) -> bool:
    return d == month_end(d.year, d.month)


def quarter_of(d: dt.date) -> int:
    """Index into QUARTERS of the quarter holding `d` (clamped to the range)."""
    for i, quarter in enumerate(QUARTERS):
        if d <= quarter.end:
            return i
    return len(QUARTERS) - 1


def fmt_date(d: dt.date, style: str) -> dt.date | str:
    """Render a date the way ledgers write it; word styles fall back to 年月日."""
    if style == "excel":
        return d
    if style == "dot":
        return f"{d.year}.{d.month}.{d.day}"
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "dash":
        return d.isoformat()
    if style == "quarter_end" and d.month % 3 == 0 and is_month_end(d):
        return f"{d.year}年{CN_NUM[d.month // 3 - 1]}季度末"
    if style in ("month_end", "quarter_end") and is_month_end(d):
        return f"{d.year}年{d.month}月底"
    return f"{d.year}年{d.month}月{d.day}日"


def cn_long_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# ---------------------------------------------------------------- problems


def weighted_choice(rng: random.Random, weights: dict) -> object:
    """Pick a key of `weights` with probability proportional to its value."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def pick_unit(rng: random.Random, source: str) -> str:
    affinity = SOURCE_UNIT_WEIGHTS.get(source, {})
    weights = {u: p.weight * affinity.get(u, 0.4 if affinity else 1.0) for u, p in UNITS.items()}
    return weighted_choice(rng, weights)


def pick_dimension(rng: random.Random, unit: str, source: str) -> int | None:
    """A dimension for the problem, or None (UNCLASSIFIED_SHARE of them) for 未归类."""
    if rng.random() < UNCLASSIFIED_SHARE:
        return None
    affinity = SOURCE_DIM_WEIGHTS.get(source, {})
    own = UNITS[unit].dim_weights
    weights = {d: own.get(d, 1.0) * affinity.get(d, 0.3 if affinity else 1.0) for d in range(1, 9)}
    return weighted_choice(rng, weights)


def describe(rng: random.Random, p: Problem, used: set) -> str:
    """A problem text for the unit, source and dimension, distinct from all earlier ones."""
    profile = UNITS[p.unit]
    general = [t for d, units, t in TEMPLATES if d == p.dimension and (units is None or p.unit in units)]
    petition = [t for d, t in PETITION_TEMPLATES if d == p.dimension] if p.source == PETITION else []
    for pool in (petition, general):
        for _ in range(40 if pool else 0):
            text = rng.choice(pool).format(
                org=profile.org,
                area=rng.choice(profile.areas),
                topic=rng.choice(profile.topics),
                n=rng.randint(2, 9),
                m=rng.randint(max(1, p.found.month - 2), p.found.month),
            )
            if (p.unit, text) not in used:
                used.add((p.unit, text))
                return text
    raise RuntimeError(f"no distinct description left for {p.unit} / {p.dimension}")


def category_word(dimension: int | None, text: str) -> str:
    """The 问题类别 an office would write for this problem text."""
    for dim, word, triggers in CATEGORY_RULES:
        if dim == dimension and (not triggers or any(t in text for t in triggers)):
            return word
    raise ValueError(f"no category rule for dimension {dimension}")


def pick_severity(rng: random.Random, unit: str, source: str, dimension: int | None) -> str:
    bias = UNITS[unit].severe_bias * (1.5 if source == PETITION or dimension == 6 else 1.0)
    return rng.choices(("一般", "较重", "严重"), weights=(74, 20 * bias, 6 * bias))[0]


def found_date(rng: random.Random, source: str, qi: int) -> dt.date:
    """Inspection and audit feedback come in batches; other sources any day."""
    quarter = QUARTERS[qi]
    if (source, qi) in BATCH_DATES:
        month, day = BATCH_DATES[(source, qi)]
        return dt.date(quarter.year, month, day)
    return quarter.start + dt.timedelta(days=rng.randint(3, (quarter.end - quarter.start).days - 6))


def schedule(rng: random.Random, p: Problem) -> None:
    """Deadline and the dates work starts, is rectified and closed (销号)."""
    p.start = p.found + dt.timedelta(days=rng.randint(2, 35))
    slowness = UNITS[p.unit].slowness
    if rng.random() < 0.06:
        p.deadline_word = rng.choice(("长期坚持", "长期坚持", "长期"))
        if rng.random() < 0.35:
            p.rectified = p.found + dt.timedelta(days=rng.randint(240, 420))
    else:
        months = rng.choice((1, 2, 2, 3, 3, 3, 4, 5, 6))
        if rng.random() < 0.7:
            p.deadline = month_end(p.found.year, p.found.month + months)
        else:
            p.deadline = p.found + dt.timedelta(days=30 * months + rng.randint(-5, 5))
        p.converts_long_term = rng.random() < 0.04
        stalls = rng.random() < 0.06 * slowness**2
        if not stalls:
            span = (p.deadline - p.found).days
            factor = rng.uniform(0.5, 1.75) * slowness * (1.2 if p.severity == "严重" else 1.0)
            p.rectified = p.found + dt.timedelta(days=max(12, int(span * factor)))
    if p.rectified:
        p.closed = p.rectified + dt.timedelta(days=rng.randint(5, 55))


def make_problems(rng: random.Random) -> list[Problem]:
    """All problems found over the six quarters, with codes per source and year."""
    used: set = set()
    problems = []
    for qi, plan in enumerate(FOUND_PLAN):
        for source, count in zip(SOURCE_ORDER, plan, strict=True):
            for _ in range(count):
                problems.append(new_problem(rng, source, qi, used))
    problems.sort(key=lambda p: (p.found, SOURCE_ORDER.index(p.source)))
    numbers: Counter = Counter()
    for p in problems:
        prefix = SOURCES[p.source][0]
        numbers[(prefix, p.found.year)] += 1
        p.code = f"{prefix}-{p.found.year}-{numbers[(prefix, p.found.year)]:03d}"
    return problems


def new_problem(rng: random.Random, source: str, qi: int, used: set) -> Problem:
    unit = pick_unit(rng, source)
    dimension = pick_dimension(rng, unit, source)
    found = found_date(rng, source, qi)
    profile = UNITS[unit]
    p = Problem(
        code="",
        source=source,
        source_text=rng.choice(SOURCES[source][1]),
        dimension=dimension,
        category="",
        description="",
        unit=unit,
        owner=rng.choice(profile.owners),
        leader=profile.leader,
        measures=rng.choice(PETITION_MEASURES if source == PETITION else MEASURES[dimension]),
        severity=pick_severity(rng, unit, source, dimension),
        found=found,
        found_q=qi,
        deadline=None,
    )
    p.description = describe(rng, p, used)
    p.category = category_word(dimension, p.description)
    schedule(rng, p)
    return p


def mark_reopened(rng: random.Random, problems: list[Problem], count: int = 8) -> None:
    """Closed problems that come back (改而复发) in a later quarter, some closed again."""
    last_end = QUARTERS[-1].end
    candidates = [p for p in problems if p.closed and QUARTERS[1].start <= p.closed <= QUARTERS[4].end]
    troubled = [p for p in candidates if p.unit in ("采购部", "物流部")]
    picked = [*rng.sample(troubled, 3), rng.choice([p for p in candidates if p.source == PETITION])]
    rest = [p for p in candidates if p not in picked]
    picked += rng.sample(rest, count - len(picked))
    for p in picked:
        back_q = min(quarter_of(p.closed) + rng.choice((1, 1, 2)), len(QUARTERS) - 1)
        quarter = QUARTERS[back_q]
        p.reopened = quarter.start + dt.timedelta(days=rng.randint(5, 60))
        p.new_deadline = month_end(p.reopened.year, p.reopened.month + rng.choice((2, 3)))
        fixed = p.reopened + dt.timedelta(days=rng.randint(70, 220))
        if fixed > quarter.end and fixed <= last_end:
            p.re_rectified = fixed
            p.re_closed = fixed + dt.timedelta(days=rng.randint(10, 40))


def mark_details(rng: random.Random, problems: list[Problem]) -> None:
    """A few closed problems without 销号时间, a few found as recurrences."""
    closed = [p for p in problems if p.closed and not p.reopened and p.closed <= QUARTERS[-1].end]
    for p in rng.sample(closed, 5):
        p.blank_closed_date = True
    later = [p for p in problems if p.found_q >= 2 and not p.reopened and p.has_code]
    for p in rng.sample(later, 3):
        p.born_recurred = True


def snapshot(p: Problem, qi: int) -> Snapshot:
    """Status, deadline and 销号时间 of a problem as of the end of quarter `qi`."""
    end = QUARTERS[qi].end
    if p.reopened and p.reopened <= end:
        if p.re_closed and p.re_closed <= end:
            status, closed = "已销号", p.re_closed
        elif p.re_rectified and p.re_rectified <= end:
            status, closed = "已整改", None
        else:
            status, closed = "整改中", None
        return Snapshot(status, p.new_deadline, closed, True, "回头看发现问题反弹，重新整改")
    closed = None
    if p.closed and p.closed <= end:
        status, closed = "已销号", (None if p.blank_closed_date else p.closed)
    elif p.rectified and p.rectified <= end:
        status = "已整改"
    elif p.deadline_word or (p.converts_long_term and p.deadline < end):
        status = "长期整改"
    elif p.start > end:
        status = "未启动"
    else:
        status = "整改中"
    remarks = ""
    if p.born_recurred:
        remarks = "同类问题整改后再次发生"
    elif p.converts_long_term and status == "长期整改":
        remarks = "经研究转为长期整改"
    return Snapshot(status, p.deadline, closed, p.born_recurred, remarks)


def in_ledger(p: Problem, qi: int) -> bool:
    return p.found_q <= qi


# ---------------------------------------------------------------- ledger rows


@dataclass(frozen=True)
class LedgerStyle:
    """How one quarter's office writes its ledger: status words and date forms."""

    status_words: dict[str, tuple[str, ...]]
    found_styles: tuple[str, ...]
    deadline_styles: tuple[str, ...]
    closed_styles: tuple[str, ...]
    full_dimension_names: bool = False
    stray_spaces: bool = False


def cell(p: Problem, qi: int, key: str, style: LedgerStyle, seq: int) -> object:
    """The value of one ledger column for a problem in quarter `qi`."""
    snap = snapshot(p, qi)

    def pick(options: tuple):
        return options[seq % len(options)]

    if key == "seq":
        return seq
    if key == "code":
        return p.code
    if key == "source":
        return f" {p.source_text}" if style.stray_spaces and seq % 7 == 3 else p.source_text
    if key == "category":
        if style.full_dimension_names and p.dimension:
            return DIMENSIONS[p.dimension - 1]
        return p.category
    if key == "description":
        return f" {p.description} " if style.stray_spaces and seq % 5 == 2 else p.description
    if key == "unit":
        return f"{p.unit} " if style.stray_spaces and seq % 6 == 1 else p.unit
    if key == "found":
        return fmt_date(p.found, pick(style.found_styles))
    if key == "deadline":
        if snap.deadline is None:
            return p.deadline_word
        return fmt_date(snap.deadline, pick(style.deadline_styles))
    if key == "status":
        return pick(style.status_words[snap.status])
    if key == "closed":
        return fmt_date(snap.closed, pick(style.closed_styles)) if snap.closed else None
    if key == "progress":
        return pick(PROGRESS[snap.status])
    if key == "recurred":
        return "是" if snap.recurred else "否"
    if key == "remarks":
        return snap.remarks or None
    return getattr(p, key)


def ledger_rows(
    problems: list[Problem], qi: int, keys: list[str], style: LedgerStyle, first_seq: int = 1
) -> list[list]:
    rows = []
    for seq, p in enumerate(problems, first_seq):
        rows.append([cell(p, qi, key, style, seq) for key in keys])
    return rows


def coded_problems(problems: list[Problem], qi: int) -> list[Problem]:
    """Problems listed in the quarter's main workbook (all but 信访举报)."""
    return [p for p in problems if in_ledger(p, qi) and p.has_code]


def closed_count(problems: list[Problem], qi: int) -> int:
    return sum(snapshot(p, qi).status == "已销号" for p in problems)


# ---------------------------------------------------------------- sheet helpers


def add_title(ws: Worksheet, text: str, ncols: int) -> None:
    """A merged, centred title row."""
    ws.append([text])
    row = ws.max_row
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    ws.cell(row, 1).font = Font(size=16, bold=True)
    ws.cell(row, 1).alignment = Alignment(horizontal="center")


def add_filed_line(ws: Worksheet, quarter: Quarter, ncols: int) -> None:
    """填报单位：纪委办公室 … 填报日期：2024年4月3日"""
    row = [f"填报单位：{FILER}"] + [None] * (ncols - 3) + [f"填报日期：{cn_long_date(quarter.filed)}"]
    ws.append(row)


def add_header(ws: Worksheet, headers: list[str]) -> None:
    ws.append(headers)
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def add_two_row_header(ws: Worksheet, before: list[str], parent: str, children: list[str], after: list[str]) -> None:
    """A header where `parent` spans `children`; other headers span both rows."""
    top = ws.max_row + 1
    add_header(ws, before + [parent] + [None] * (len(children) - 1) + after)
    add_header(ws, [None] * len(before) + children + [None] * len(after))
    for col in list(range(1, len(before) + 1)) + list(
        range(len(before) + len(children) + 1, len(before) + len(children) + len(after) + 1)
    ):
        ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
    ws.merge_cells(start_row=top, start_column=len(before) + 1, end_row=top, end_column=len(before) + len(children))


def add_heading_row(ws: Worksheet, text: str, ncols: int) -> None:
    """A section heading inside the table, e.g. 一、巡视巡察反馈问题（12项）."""
    ws.append([text])
    row = ws.max_row
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    ws.cell(row, 1).font = Font(bold=True)


def add_total_row(ws: Worksheet, label: str, desc_col: int, total: int, closed: int) -> None:
    row = [label] + [None] * (desc_col - 2) + [f"共{total}项，其中已销号{closed}项"]
    ws.append(row)


def set_widths(ws: Worksheet, headers: list[str | None]) -> None:
    wide = {"问题描述", "存在问题", "问题内容", "具体问题", "具体问题\u3000", "整改措施", "监督措施", "工作要求"}
    for i, h in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(i)].width = 44 if h in wide else 14


def add_instructions(wb: Workbook, lines: list[str]) -> None:
    """A 填表说明 sheet, which importers ignore."""
    ws = wb.create_sheet("填表说明")
    for line in lines:
        ws.append([line])
    ws.column_dimensions["A"].width = 90


LEDGER_INSTRUCTIONS = [
    "填表说明",
    "1. 本表每季度末更新一次，由各责任单位填报，纪委办公室汇总审核。",
    "2. 已销号问题继续保留在台账中，不得删除；新发现问题续编问题编号。",
    "3. 整改状态填写：未整改、整改中、已整改、已销号、长期整改。",
    "4. 销号须经纪委办公室验收，填写销号时间。",
]


def save_workbook(wb: Workbook, path: Path, quarter: Quarter) -> Path:
    """Save with fixed document properties and zip timestamps (byte-identical reruns).

    Workbook.save() stamps the current time into docProps/core.xml and zip
    entries, so write through ExcelWriter and re-pack with a fixed date.
    """
    wb.properties.creator = FILER
    wb.properties.lastModifiedBy = FILER
    wb.properties.created = quarter.stamp - dt.timedelta(days=2)
    wb.properties.modified = quarter.stamp
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    packed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=quarter.stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(packed.getvalue())
    return path


# ---------------------------------------------------------------- quarterly ledgers

# Each quarter's ledger as its office wrote it: (header as written, field) pairs.
COLUMNS_2024Q1 = [
    ("序号", "seq"),
    ("问题编号", "code"),
    ("问题来源", "source"),
    ("问题类别", "category"),
    ("问题描述", "description"),
    ("责任部门", "unit"),
    ("责任人", "owner"),
    ("发现时间", "found"),
    ("整改时限", "deadline"),
    ("整改措施", "measures"),
    ("整改状态", "status"),
    ("销号时间", "closed"),
    ("问题性质", "severity"),
    ("备注", "remarks"),
]
# two-row headers: columns before and after the merged 整改情况 parent
TWO_ROW_CHILDREN = [("整改措施", "measures"), ("完成时限", "deadline"), ("完成情况", "status"), ("完成时间", "closed")]
COLUMNS_2024Q2 = (
    [
        ("序号", "seq"),
        ("问题编号", "code"),
        ("问题来源", "source"),
        ("所属维度", "category"),
        ("存在问题", "description"),
        ("整改责任单位", "unit"),
        ("整改责任人", "owner"),
        ("发现时间", "found"),
    ],
    [("问题性质", "severity"), ("备注", "remarks")],
)
COLUMNS_2025Q1 = (
    [
        ("序号", "seq"),
        ("问题编号", "code"),
        ("问题来源", "source"),
        ("问题类别", "category"),
        ("问题描述", "description"),
        ("整改责任部门", "unit"),
        ("责任人", "owner"),
        ("督办领导", "leader"),
        ("发现日期", "found"),
    ],
    [("问题性质", "severity"), ("是否复发", "recurred"), ("备注", "remarks")],
)
COLUMNS_2024Q3 = [
    ("序号", "seq"),
    ("问题编号", "code"),
    ("来源", "source"),
    ("问题类型", "category"),
    ("问题内容", "description"),
    ("责任单位", "unit"),
    ("分管领导", "leader"),
    ("责任人", "owner"),
    ("反馈时间", "found"),
    ("整改期限", "deadline"),
    ("整改进展", "progress"),
    ("整改状态", "status"),
    ("销号日期", "closed"),
    ("严重程度", "severity"),
    ("是否复发", "recurred"),
    ("备注", "remarks"),
]
COLUMNS_2024Q4 = [
    ("序号", "seq"),
    ("编号", "code"),
    ("问题来源 ", "source"),  # stray space, as typed
    ("维度", "category"),
    ("具体问题\u3000", "description"),  # trailing full-width space
    ("整改责任部门", "unit"),
    ("第一责任人", "owner"),
    ("督办领导", "leader"),
    ("交办时间", "found"),
    ("计划完成时间", "deadline"),
    ("整改措施", "measures"),
    ("整改完成情况", "status"),
    ("实际完成时间", "closed"),
    ("问题等级", "severity"),
    ("是否复发", "recurred"),
]
COLUMNS_2025Q2 = [
    ("序号", "seq"),
    ("问题编号", "code"),
    ("问题来源", "source"),
    ("问题类别", "category"),
    ("问题描述", "description"),
    ("责任单位", "unit"),
    ("整改责任人", "owner"),
    ("分管领导", "leader"),
    ("发现时间", "found"),
    ("整改时限", "deadline"),
    ("整改措施", "measures"),
    ("进展情况", "progress"),
    ("整改状态", "status"),
    ("销号时间", "closed"),
    ("问题性质", "severity"),
    ("是否复发", "recurred"),
    ("备注", "remarks"),
]
# sheets of the 2024Q4 workbook, one per source group
SHEETS_2024Q4 = {
    "巡视巡察": ("巡视巡察",),
    "审计": ("审计",),
    "日常监督": ("日常监督",),
    "专项监督": ("专项监督",),
    "其他来源": ("沟通会商", "自查自纠", "其他"),
}


def status_words(*words: str) -> dict[str, tuple[str, ...]]:
    """Status words in STATUSES order; '/' separates words used side by side."""
    return {status: tuple(w.split("/")) for status, w in zip(STATUSES, words, strict=True)}


STYLE_2024Q1 = LedgerStyle(
    status_words("未整改/未启动", "整改中", "已整改", "已销号", "长期整改"),
    found_styles=("excel",),
    deadline_styles=("excel", "dot", "month_end", "slash"),
    closed_styles=("cn",),
    stray_spaces=True,
)
STYLE_2024Q2 = LedgerStyle(
    status_words("未启动", "正在整改", "已完成", "已销号", "持续整改"),
    found_styles=("excel",),
    deadline_styles=("slash", "month_end", "slash"),
    closed_styles=("dot",),
    full_dimension_names=True,
)
STYLE_2024Q3 = LedgerStyle(
    status_words("待整改", "整改中/正在整改", "待销号/已整改", "已销号", "长期坚持"),
    found_styles=("dash",),
    deadline_styles=("cn", "quarter_end", "month_end"),
    closed_styles=("excel",),
    stray_spaces=True,
)
STYLE_2024Q4 = LedgerStyle(
    status_words("未启动", "推进中/整改中", "已整改/基本完成", "已办结/已销号", "长期整改"),
    found_styles=("excel",),
    deadline_styles=("excel", "excel", "month_end"),
    closed_styles=("excel",),
    full_dimension_names=True,
)
STYLE_2025Q1 = LedgerStyle(
    status_words("未整改", "未完成/整改中", "待验收", "已闭环/已销号", "持续整改"),
    found_styles=("slash",),
    deadline_styles=("slash", "excel"),
    closed_styles=("excel",),
)
STYLE_2025Q2 = LedgerStyle(
    status_words("未启动", "整改中", "已整改/已完成", "已销号/销号", "长期整改/持续整改"),
    found_styles=("excel",),
    deadline_styles=("excel", "month_end", "excel", "dot"),
    closed_styles=("excel", "slash"),
)


def append_problems(
    ws: Worksheet, problems: list[Problem], qi: int, keys: list[str], style: LedgerStyle, first_seq: int = 1
) -> None:
    for row in ledger_rows(problems, qi, keys, style, first_seq):
        ws.append(row)


def ledger_one_row(problems: list[Problem], qi: int, out: Path) -> Path:
    """2024Q1 / 2025Q2: title, one-row header, 合计 row, 注 note, 填表说明 sheet."""
    quarter = QUARTERS[qi]
    columns, style = (COLUMNS_2024Q1, STYLE_2024Q1) if qi == 0 else (COLUMNS_2025Q2, STYLE_2025Q2)
    headers, keys = [h for h, _ in columns], [k for _, k in columns]
    listed = coded_problems(problems, qi)
    wb = Workbook()
    ws = wb.active
    ws.title = "问题整改台账"
    add_title(ws, f"{COMPANY}{quarter.cn}问题整改台账", len(headers))
    if qi == 0:
        add_filed_line(ws, quarter, len(headers))
    add_header(ws, headers)
    append_problems(ws, listed, qi, keys, style)
    ws.append([])
    add_total_row(ws, "合计", 5, len(listed), closed_count(listed, qi))
    if qi == 0:
        ws.append(["注：整改状态填写“未整改/整改中/已整改/已销号/长期整改”；信访举报问题另行建立台账。"])
    else:
        ws.append(["注：逾期未整改问题由纪委办公室发送工作提醒函或督办单；信访举报问题另行建立台账。"])
    set_widths(ws, headers)
    add_instructions(wb, LEDGER_INSTRUCTIONS)
    return save_workbook(wb, out / f"{quarter.cn}问题整改台账.xlsx", quarter)


def ledger_two_row(problems: list[Problem], qi: int, out: Path) -> Path:
    """2024Q2 / 2025Q1: two-row header, 整改情况 over 整改措施/完成时限/完成情况/完成时间."""
    quarter = QUARTERS[qi]
    if qi == 1:
        (before, after), style = COLUMNS_2024Q2, STYLE_2024Q2
        name, title = f"{quarter.cn}问题整改台账.xlsx", f"{COMPANY}问题整改台账（2024年二季度）"
    else:
        (before, after), style = COLUMNS_2025Q1, STYLE_2025Q1
        name, title = "2025年一季度问题整改台账.xlsx", f"{COMPANY}2025年一季度问题整改台账"
    columns = before + TWO_ROW_CHILDREN + after
    listed = coded_problems(problems, qi)
    wb = Workbook()
    ws = wb.active
    ws.title = quarter.label
    add_title(ws, title, len(columns))
    if qi == 4:
        add_filed_line(ws, quarter, len(columns))
    add_two_row_header(ws, [h for h, _ in before], "整改情况", [h for h, _ in TWO_ROW_CHILDREN], [h for h, _ in after])
    append_problems(ws, listed, qi, [k for _, k in columns], style)
    add_total_row(ws, "小计", 5, len(listed), closed_count(listed, qi))
    set_widths(ws, [h for h, _ in columns])
    if qi == 4:
        ws.append(["注：1.完成情况填写“未整改/未完成/待验收/已闭环/持续整改”；2.信访举报问题见单独台账。"])
        add_instructions(wb, LEDGER_INSTRUCTIONS)
    return save_workbook(wb, out / name, quarter)


def ledger_2024q3(problems: list[Problem], out: Path) -> Path:
    """Section heading rows per source (一、巡视巡察反馈问题（N项）), text dates, 是否复发."""
    qi = 2
    quarter = QUARTERS[qi]
    headers, keys = [h for h, _ in COLUMNS_2024Q3], [k for _, k in COLUMNS_2024Q3]
    listed = coded_problems(problems, qi)
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    add_title(ws, f"{COMPANY}{quarter.cn}问题整改台账", len(headers))
    add_filed_line(ws, quarter, len(headers))
    add_header(ws, headers)
    seq = 1
    groups = [(s, [p for p in listed if p.source == s]) for s in SOURCE_ORDER]
    for number, (source, group) in enumerate([g for g in groups if g[1]]):
        add_heading_row(ws, f"{CN_NUM[number]}、{SOURCES[source][2]}（{len(group)}项）", len(headers))
        append_problems(ws, group, qi, keys, STYLE_2024Q3, seq)
        seq += len(group)
    add_total_row(ws, "合计", 5, len(listed), closed_count(listed, qi))
    ws.append(["注：本季度起增加“是否复发”列，回头看发现反弹的问题填“是”。"])
    set_widths(ws, headers)
    return save_workbook(wb, out / f"{quarter.cn}问题整改台账.xlsx", quarter)


def ledger_2024q4(problems: list[Problem], out: Path) -> Path:
    """One sheet per source group, each with its own title and 小计; 填表说明 sheet."""
    qi = 3
    quarter = QUARTERS[qi]
    headers, keys = [h for h, _ in COLUMNS_2024Q4], [k for _, k in COLUMNS_2024Q4]
    listed = coded_problems(problems, qi)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, sources in SHEETS_2024Q4.items():
        group = [p for p in listed if p.source in sources]
        ws = wb.create_sheet(sheet)
        add_title(ws, f"{quarter.cn}{sheet}问题整改台账", len(headers))
        add_header(ws, headers)
        append_problems(ws, group, qi, keys, STYLE_2024Q4)
        add_total_row(ws, "小计", 5, len(group), closed_count(group, qi))
        set_widths(ws, headers)
    add_instructions(wb, LEDGER_INSTRUCTIONS)
    return save_workbook(wb, out / f"{quarter.cn}问题整改台账.xlsx", quarter)


def quarterly_ledgers(problems: list[Problem], out: Path) -> list[Path]:
    """The six cumulative problem ledgers, each shaped differently."""
    return [
        ledger_one_row(problems, 0, out),
        ledger_two_row(problems, 1, out),
        ledger_2024q3(problems, out),
        ledger_2024q4(problems, out),
        ledger_two_row(problems, 4, out),
        ledger_one_row(problems, 5, out),
    ]


# ---------------------------------------------------------------- petition CSVs


PETITION_STYLE = LedgerStyle(
    status_words("未整改", "整改中", "已整改", "已销号", "长期整改"),
    found_styles=("dash", "slash"),
    deadline_styles=("month_end", "dash", "cn"),
    closed_styles=("dash",),
)
PETITION_COLUMNS = [
    ("序号", "seq"),
    ("问题来源", "source"),
    ("问题类别", "category"),
    ("问题描述", "description"),
    ("责任单位", "unit"),
    ("责任人", "owner"),
    ("交办时间", "found"),
    ("整改时限", "deadline"),
    ("整改措施", "measures"),
    ("整改状态", "status"),
    ("销号时间", "closed"),
    ("问题性质", "severity"),
    ("是否复发", "recurred"),
    ("备注", "remarks"),
]


def petition_csv(problems: list[Problem], qi: int, out: Path) -> Path:
    """信访举报 ledger without codes: unit, source and text never change."""
    quarter = QUARTERS[qi]
    listed = [p for p in problems if in_ledger(p, qi) and not p.has_code]
    keys = [k for _, k in PETITION_COLUMNS]
    rows = [[h for h, _ in PETITION_COLUMNS], *ledger_rows(listed, qi, keys, PETITION_STYLE)]
    rows = [["" if v is None else v for v in row] for row in rows]
    if qi == 4:
        rows.insert(0, [f"{COMPANY}2025年一季度信访举报问题台账"])
    encoding = "gbk" if qi == 3 else "utf-8-sig"
    path = out / f"{quarter.label}信访举报问题台账.csv"
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


# ---------------------------------------------------------------- supervision task list

# 11 aspects, 27 measures, after the seed's 《政治监督重点任务清单》:
# (aspect, measure, requirement, unit, timing: 每月/每季度/每年 or (month, day))
TASKS = (
    (
        "落实“第一议题”制度和重要指示批示精神",
        "检查“第一议题”、中心组学习等制度执行情况",
        "每季度抽查会议记录，发现问题建立清单",
        "党群工作部",
        "每季度",
    ),
    (
        "落实“第一议题”制度和重要指示批示精神",
        "检查《公司党委贯彻落实党的二十大精神重点事项清单》执行情况",
        "逐项对照清单跟踪进度",
        "综合管理部",
        (6, 30),
    ),
    (
        "落实“第一议题”制度和重要指示批示精神",
        "动态更新贯彻落实习近平总书记重要讲话和指示批示精神台账并监督检查",
        "联合综合管理部每季度更新台账",
        "综合管理部",
        "每季度",
    ),
    ("落实中央八项规定精神", "开展履职待遇、业务支出监督检查", "联合财务部每季度开展一次", "财务部", "每季度"),
    (
        "落实中央八项规定精神",
        "监督检查《深入贯彻落实中央八项规定精神进一步加强作风建设的实施意见》执行情况",
        "重点关注公务接待、公务用车、津贴补贴",
        "综合管理部",
        (9, 30),
    ),
    (
        "加强对“关键少数”监督",
        "监督同级领导班子党风廉政建设“一岗双责”履行情况",
        "用好民主生活会，开展谈心谈话",
        "党群工作部",
        "每季度",
    ),
    (
        "加强对“关键少数”监督",
        "参与干部选拔过程考察、民主推荐、谈话等环节，检查选人用人制度执行情况",
        "干部选拔任用全程监督",
        "人力资源部",
        "每季度",
    ),
    (
        "加强对“关键少数”监督",
        "对新提拔、新调整领导干部组织任前廉洁谈话，签订廉洁自律承诺书",
        "新提拔干部全覆盖",
        "人力资源部",
        (12, 31),
    ),
    ("关键环节专责监督", "开展属地品销售、高价值物料专项监督", "发现问题建立清单，动态跟踪整改", "销售部", (6, 30)),
    ("关键环节专责监督", "开展食堂管理、单一来源采购专项监督", "发现问题建立清单，动态跟踪整改", "采购部", (9, 30)),
    ("关键环节专责监督", "开展检斤、计量、承包商管理专项监督", "发现问题建立清单，动态跟踪整改", "物流部", (9, 30)),
    ("关键环节专责监督", "定期或不定期开展问题整改“回头看”", "检验整改效果，防止问题反弹", "工程管理部", "每季度"),
    (
        "重点领域系统治理",
        "规范职工投资关联企业行为专项治理",
        "领导人员及全体在册职工纳入治理范围",
        "人力资源部",
        (10, 31),
    ),
    ("重点领域系统治理", "持续开展呆滞物资减存遏增专项", "按月统计呆滞物资处置进度", "物流部", "每月"),
    ("重要工作跟踪督办", "督促综合管理部建立公司督办工作台账", "督办事项按月销号", "综合管理部", "每月"),
    (
        "重要工作跟踪督办",
        "督促建立党委会、安委会等重要会议决策事项跟踪落实机制",
        "决策事项逐项跟踪落实",
        "综合管理部",
        (6, 30),
    ),
    (
        "权力运行监督",
        "参加党委会、列席董事长专题会、总经理办公会",
        "了解掌握贯彻落实上级决策部署情况",
        "党群工作部",
        "每月",
    ),
    ("权力运行监督", "加强“三重一大”事项决策过程监督", "围绕“三重一大”决策事项清单开展监督", "法务合规部", "每季度"),
    (
        "“一岗双责”协同联动",
        "修订《党风廉政建设“一岗双责”履责清单》",
        "细化履责指标，量化工作要求",
        "党群工作部",
        (3, 31),
    ),
    (
        "“一岗双责”协同联动",
        "坚持“双报告”制度，按季度跟踪督促班子成员履行“一岗双责”",
        "按季度向公司党委汇报",
        "党群工作部",
        "每季度",
    ),
    ("巡察整改“回头看”", "聚焦15个重点领域制定巡察整改监督计划", "把巡察整改与日常监督结合起来", "法务合规部", (4, 30)),
    (
        "巡察整改“回头看”",
        "对已整改事项再检查、新发现问题再了解、改而复发问题再通报",
        "确保问题整改到位",
        "工程管理部",
        (11, 30),
    ),
    ("推进制度“立改废”", "形成并动态更新“不能腐”制度清单", "六类72项制度逐项明确责任部门", "法务合规部", (5, 31)),
    (
        "推进制度“立改废”",
        "督促各部门按季度开展制度执行检查及新建、修订制度培训",
        "每季度报送检查和培训情况",
        "法务合规部",
        "每季度",
    ),
    (
        "廉洁文化建设和政治生态研判",
        "以“1+4+N”廉洁教育为主线开展廉洁文化建设",
        "每周专栏推送、每季度下发学习要点",
        "党群工作部",
        "每月",
    ),
    ("廉洁文化建设和政治生态研判", "开展“送纪法进基层、送合规进部门”活动", "覆盖全部基层班组", "冶炼厂", (11, 30)),
    (
        "廉洁文化建设和政治生态研判",
        "开展政治生态分析研判和“政治画像”",
        "纪委书记对同级班子成员画像，形成研判报告",
        "党群工作部",
        "每年",
    ),
)


def task_status(maturity: float, qi: int, timing: object) -> str:
    """完成情况 of a measure at quarter qi; completion improves quarter by quarter."""
    quarter = QUARTERS[qi]
    score = maturity + 0.11 * qi
    if isinstance(timing, tuple):
        due = dt.date(quarter.year, *timing)
        score += 0.25 if due <= quarter.end else -0.1
    if score >= 0.8:
        return "已完成"
    return "进行中" if score >= 0.35 else "未开始"


def task_timing(timing: object, qi: int) -> object:
    """完成时限 cell: a frequency word, or the due date in the quarter's year."""
    if isinstance(timing, str):
        return timing
    due = dt.date(QUARTERS[qi].year, *timing)
    return due if qi % 2 == 0 else fmt_date(due, "month_end")


def task_list(maturity: list[float], qi: int, out: Path) -> Path:
    """政治监督重点任务清单 for one quarter: 27 measures with updated 完成情况."""
    quarter = QUARTERS[qi]
    headers = ["序号", "监督方面", "监督措施", "工作要求", "责任单位", "完成时限", "完成情况"]
    wb = Workbook()
    ws = wb.active
    ws.title = "监督清单"
    add_title(ws, f"{COMPANY}{quarter.cn}政治监督重点任务清单", len(headers))
    if qi >= 2:
        add_filed_line(ws, quarter, len(headers))
    add_header(ws, headers)
    for i, (aspect, measure, requirement, unit, timing) in enumerate(TASKS, 1):
        status = task_status(maturity[i - 1], qi, timing)
        ws.append([i, aspect, measure, requirement, unit, task_timing(timing, qi), status])
    set_widths(ws, headers)
    if qi == 4:
        add_instructions(
            wb, ["填表说明", "完成情况填写：已完成、进行中、未开始。", "按频次开展的措施，填写本季度完成情况。"]
        )
    return save_workbook(wb, out / f"{quarter.cn}政治监督重点任务清单.xlsx", quarter)


# ---------------------------------------------------------------- scores


def computed_scores(problems: list[Problem], qi: int) -> dict[str, dict[int, float]]:
    """Default model: 100 minus deductions for problems open at quarter end, floor 0."""
    end = QUARTERS[qi].end
    scores = {u: dict.fromkeys(range(1, 9), 100.0) for u in UNITS}
    for p in problems:
        if not in_ledger(p, qi) or p.dimension is None:
            continue
        snap = snapshot(p, qi)
        if snap.status not in OPEN_STATUSES:
            continue
        points = SEVERITY_POINTS[p.severity] + (3 if snap.overdue_days(end) else 0) + (5 if snap.recurred else 0)
        scores[p.unit][p.dimension] = max(0.0, scores[p.unit][p.dimension] - points)
    return scores


def assessed_scores(rng: random.Random, problems: list[Problem], qi: int) -> dict[str, dict[int, int]]:
    """纪委评价 scores (60–100), following the computed picture with some noise."""
    computed = computed_scores(problems, qi)
    return {
        unit: {d: max(60, min(100, round(100 - 0.55 * (100 - s) + rng.uniform(-4, 2)))) for d, s in dims.items()}
        for unit, dims in computed.items()
    }


def score_sheet_wide(scores: dict[str, dict[int, int]], qi: int, out: Path, titled: bool) -> Path:
    quarter = QUARTERS[qi]
    headers = ["单位", *DIMENSIONS, "评价方式"]
    wb = Workbook()
    ws = wb.active
    ws.title = "评分表"
    if titled:
        add_title(ws, f"{COMPANY}{quarter.cn}政治生态评分表", len(headers))
    add_header(ws, headers)
    for unit, dims in scores.items():
        ws.append([unit, *(dims[d] for d in range(1, 9)), "纪委评价"])
    set_widths(ws, headers)
    return save_workbook(wb, out / f"{quarter.cn}政治生态评分表.xlsx", quarter)


def score_sheet_long(scores: dict[str, dict[int, int]], qi: int, out: Path) -> Path:
    quarter = QUARTERS[qi]
    wb = Workbook()
    ws = wb.active
    ws.title = "评分明细"
    add_header(ws, ["单位", "维度", "得分", "评价方式"])
    for unit, dims in scores.items():
        for d in range(1, 9):
            ws.append([unit, DIMENSIONS[d - 1], dims[d], "纪委评价"])
    set_widths(ws, ["单位", "维度", "得分", "评价方式"])
    ws.column_dimensions["B"].width = 30
    return save_workbook(wb, out / f"{quarter.cn}政治生态评分表.xlsx", quarter)


# ---------------------------------------------------------------- summary and main


def quarter_figures(problems: list[Problem]) -> list[dict[str, int]]:
    """Counts per quarter end: total, open, rectified, closed, overdue, overdue > 90 days."""
    figures = []
    for qi, quarter in enumerate(QUARTERS):
        snaps = [snapshot(p, qi) for p in problems if in_ledger(p, qi)]
        late = [s.overdue_days(quarter.end) for s in snaps]
        figures.append(
            {
                "total": len(snaps),
                "new": sum(p.found_q == qi for p in problems),
                "open": sum(s.status in OPEN_STATUSES for s in snaps),
                "rectified": sum(s.status == "已整改" for s in snaps),
                "closed": sum(s.status == "已销号" for s in snaps),
                "overdue": sum(d > 0 for d in late),
                "overdue_90": sum(d > 90 for d in late),
            }
        )
    return figures


def print_summary(problems: list[Problem]) -> None:
    print(f"problems: {len(problems)} ({sum(not p.has_code for p in problems)} in 信访举报 CSVs)")
    for quarter, f in zip(QUARTERS, quarter_figures(problems), strict=True):
        print(quarter.label, " ".join(f"{k}={v}" for k, v in f.items()))
    for p in problems:
        if p.reopened:
            closed_q = QUARTERS[quarter_of(p.closed)].label
            back_q = QUARTERS[quarter_of(p.reopened)].label
            again = f", closed again {QUARTERS[quarter_of(p.re_closed)].label}" if p.re_closed else ""
            name = p.code if p.has_code else f"信访举报「{p.description}」"
            print(f"reopened {name} ({p.unit}): closed {closed_q}, open again {back_q}{again}")
    totals = {u: sum(d.values()) / 8 for u, d in computed_scores(problems, len(QUARTERS) - 1).items()}
    print(
        "computed unit scores",
        QUARTERS[-1].label,
        {u: round(s, 1) for u, s in sorted(totals.items(), key=lambda x: x[1])},
    )


def build(rng: random.Random) -> list[Problem]:
    """The whole problem history, generated from one seeded random stream."""
    problems = make_problems(rng)
    mark_reopened(rng, problems)
    mark_details(rng, problems)
    return problems


def main(out_dir: Path) -> list[Path]:
    """Write every demo file into `out_dir`; return the paths written."""
    rng = random.Random(SEED)
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = build(rng)
    paths = quarterly_ledgers(problems, out_dir)
    paths += [petition_csv(problems, qi, out_dir) for qi in range(len(QUARTERS))]
    maturity = [rng.uniform(0.0, 0.7) for _ in TASKS]
    paths += [task_list(maturity, qi, out_dir) for qi in range(len(QUARTERS))]
    paths.append(score_sheet_wide(assessed_scores(rng, problems, 1), 1, out_dir, titled=False))
    paths.append(score_sheet_wide(assessed_scores(rng, problems, 3), 3, out_dir, titled=True))
    paths.append(score_sheet_long(assessed_scores(rng, problems, 5), 5, out_dir))
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Write the bundled demo ledgers.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path(__file__).parent / "demo")
    args = parser.parse_args()
    for path in main(args.out_dir):
        print(f"{path.stat().st_size:>8}  {path.name}")
    print_summary(build(random.Random(SEED)))
