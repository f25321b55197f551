"""The simulation report: one self-contained HTML file, zh-CN and English.

Everything in it comes from `RunFigures` (simulation/figures.py), read from the run's
database; the figures are also embedded as JSON (`<script id="figures">`) so the report can
be checked against the database by a program. Charts are inline SVG drawn by web/charts.py
and styled by the manager pages' CSS, copied into the page: nothing is fetched, no script
runs. The language switch is a link to `#en` / `#zh` (CSS `:target`).
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

import web
from catalog.calendar import CHINA_TZ
from domain.text import Text
from simulation.distributions import Dist
from simulation.figures import Bucket, RunFigures
from web import charts

TEMPLATES = Path(__file__).parent / "templates"
STYLES = [Path(web.__file__).parent / "static" / name for name in ("onego.css", "manager.css")]
LANGS = ("en", "zh")  # document order: the default language (zh) comes last (CSS :target)

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "lang": "zh-CN",
        "other": "English",
        "other_href": "#en",
        "title": "{name}：{cases} 件模拟办件",
        "lead": (
            "在时间跳跃的 Temporal 测试服务器上，以真实工作流和真实工作进程办理模拟办件；"
            "部门审核与申请人补正的用时按配置的分布抽取。对比“一件事一次办”与逐项分别办理。"
        ),
        "meta": "随机种子 {seed} · 提交 {start} 至 {end} · 最后办结 {finished} · 运行 {seconds} 秒",
        "bundled_median": "一件事：用时中位数",
        "bundled_sub": "P90 {p90} 个工作日 · 承诺 {promised} 个工作日",
        "one_median": "逐项办理：用时中位数",
        "one_sub": "P90 {p90} 个工作日 · 目录测算 {catalog} 个工作日",
        "time_reduction": "用时压缩（中位数）",
        "time_sub": "目标 {target} · 按总和 {sums}",
        "material_reduction": "材料精简",
        "material_sub": "目标 {target} · 每件 {base} → {provided} 份",
        "sla": "按时办结率（审核事项）",
        "sla_sub": "{breached} 件超期 / {decided} 件已决定",
        "completed": "已办结",
        "completed_sub": "共 {cases} 件 · {statuses}",
        "published": "城市公布的数字：逐项办理 {before} 天 → 一件事 {after} 天。",
        "published_none": "本一件事没有城市公布的对比数字。",
        "compare_title": "逐项办理与一件事的用时",
        "compare_note": (
            "工作日（周末和节假日不计）。逐项办理：每个事项分别申请，依次办理，中间往返，"
            "用时按法定时限和跑动时间抽取；一件事：读模型中每个已办结办件的实际用时。"
        ),
        "median": "中位数",
        "p90": "P90",
        "catalog": "目录测算",
        "promise": "承诺时限",
        "one_by_one": "逐项办理",
        "bundled": "一件事",
        "published_marker": "公布 {days} 天",
        "days_unit": "工作日",
        "hist_bundled": "一件事用时分布",
        "hist_one": "逐项办理用时分布（同一批办件）",
        "cases_unit": "件",
        "drivers_title": "剩余用时由什么决定",
        "drivers_note": (
            "关键路径：从最后办结的事项往回，沿着它所等待的最后完成的前置事项。"
            "每个事项在关键路径上的工作日占全部办件用时的比例；其中申请人补正时间单列。"
        ),
        "dept_time": "部门时间",
        "applicant_time": "申请人补正时间",
        "item": "事项",
        "department": "部门",
        "on_path": "在关键路径上",
        "mean_days": "每件平均（工作日）",
        "share": "占用时比例",
        "of_which_applicant": "其中申请人",
        "drivers_sentence": (
            "{item}（{department}）占一件事用时的 {share}：每件平均 {days} 个工作日，"
            "其中等待窗口人员领取 {queue}、窗口审核 {clerk}、申请人补正 {applicant}。"
        ),
        "drivers_sentence_system": (
            "{item}（{department}）占一件事用时的 {share}：部门系统受理后出证，"
            "每件在关键路径上平均 {days} 个工作日。"
        ),
        "automatic_note": (
            "即办件由模拟的部门系统受理，按配置的用时（systems）出证，期间流程以持久计时器等待；"
            "审核事项的天数是等待领取、窗口审核和申请人补正。"
        ),
        "reviews_title": "审核事项",
        "tasks": "任务",
        "queue": "等待领取",
        "clerk": "窗口审核",
        "applicant": "补正（每次）",
        "supplements": "补正",
        "rejected": "驳回",
        "breached": "超期",
        "compliance": "按时率",
        "review_chart": "审核事项每件平均用时构成",
        "materials_title": "材料和字段",
        "materials_text": (
            "逐项办理每件需提交 {base} 份材料（重复计），一件事平均 {provided} 份"
            "（共享库可调取的不再提交），精简 {reduction}。字段：逐项填写 {fields_base} 个，"
            "一张表单平均填写 {fields_typed} 个。"
        ),
        "config_title": "配置（默认值及来源）",
        "key": "配置项",
        "value": "值",
        "source": "来源",
        "illustrative": "示意值",
        "check_title": "如何核对",
        "check_text": (
            "本报告的每个数字都由 simulation/figures.py 从本次运行的数据库读出："
            "case（办件：actual_days、baseline_days、materials_*）、case_item（事项）、"
            "case_event（领取、补正、驳回）和 sim_baseline（逐项办理的抽样）。"
            "用 --keep-db 保留数据库即可复算；数字也以 JSON 形式嵌在本文件中（id=figures）。"
        ),
        "driver_text": (
            "模拟器：{steps} 步，{updates} 次更新，{refused} 次被拒绝，"
            "{deferred} 次等待工作流的定时器先触发；{processes} 个独立的工作流进程；"
            "CPU 时间：主进程 {cpu_main} 秒，子进程（工作流进程和测试服务器）{cpu_children} 秒。"
        ),
        "status.completed": "办结",
        "status.rejected": "驳回",
        "status.not_supplemented": "逾期未补正",
        "status.running": "办理中",
        "status.failed": "失败",
        "status.withdrawn": "撤回",
        "status.partially_completed": "部分办结",
        "status.submitted": "已提交",
    },
    "en": {
        "lang": "en",
        "other": "中文",
        "other_href": "#zh",
        "title": "{name}: {cases} simulated cases",
        "lead": (
            "Simulated cases run through the real workflows and workers on Temporal's "
            "time-skipping test server; department reviews and the applicants' supplements "
            "take durations drawn from the configured distributions. The bundled path is "
            "compared with applying for each item separately."
        ),
        "meta": "Seed {seed} · submitted {start} to {end} · last case ended {finished} · "
        "run took {seconds} s",
        "bundled_median": "Bundled: median days",
        "bundled_sub": "p90 {p90} working days · promised {promised}",
        "one_median": "One by one: median days",
        "one_sub": "p90 {p90} working days · catalog {catalog}",
        "time_reduction": "Time reduction (medians)",
        "time_sub": "target {target} · from sums {sums}",
        "material_reduction": "Material reduction",
        "material_sub": "target {target} · {base} → {provided} per case",
        "sla": "On time (reviewed items)",
        "sla_sub": "{breached} breached of {decided} decided",
        "completed": "Completed",
        "completed_sub": "of {cases} · {statuses}",
        "published": "The city's published figures: {before} days one by one → {after} bundled.",
        "published_none": "The city published no before/after figures for this scenario.",
        "compare_title": "One by one against bundled",
        "compare_note": (
            "Working days (weekends and holidays excluded). One by one: each item applied for "
            "separately, one after the other, with the trips between, durations drawn around "
            "the legal limits and visits; bundled: each completed case's days in the read model."
        ),
        "median": "median",
        "p90": "p90",
        "catalog": "catalog",
        "promise": "promised",
        "one_by_one": "One by one",
        "bundled": "Bundled",
        "published_marker": "published {days}",
        "days_unit": "working days",
        "hist_bundled": "Bundled days, distribution",
        "hist_one": "One-by-one days, distribution (the same cases)",
        "cases_unit": "cases",
        "drivers_title": "What drives the remaining days",
        "drivers_note": (
            "The critical path runs back from the item that ended last, through the required "
            "item that ended last. Each item's working days on it, as a share of all the "
            "completed cases' days; the applicant's supplement time is shown apart."
        ),
        "dept_time": "department time",
        "applicant_time": "applicant's supplement time",
        "item": "Item",
        "department": "Department",
        "on_path": "on the critical path",
        "mean_days": "mean per case (working days)",
        "share": "share of the days",
        "of_which_applicant": "of which the applicant",
        "drivers_sentence": (
            "{item} ({department}) makes {share} of the bundled days: {days} working days per "
            "case on average, of which {queue} waiting for a clerk, {clerk} with the clerk and "
            "{applicant} waiting for the applicant's supplement."
        ),
        "drivers_sentence_system": (
            "{item} ({department}) makes {share} of the bundled days: its department system "
            "issues it {days} working days per case on the critical path on average."
        ),
        "automatic_note": (
            "Automatic items are accepted by the simulated department systems and issued after "
            "their configured time (systems), while the workflow waits on a durable timer; a "
            "reviewed item's days are the wait for a clerk, the clerk's work and the "
            "applicant's supplement."
        ),
        "reviews_title": "Reviewed items",
        "tasks": "tasks",
        "queue": "waiting for a clerk",
        "clerk": "with the clerk",
        "applicant": "supplement (each)",
        "supplements": "supplements",
        "rejected": "rejected",
        "breached": "breached",
        "compliance": "on time",
        "review_chart": "Where a reviewed item's days go (mean per task)",
        "materials_title": "Materials and fields",
        "materials_text": (
            "One by one, a case needs {base} materials (repeats counted); bundled, {provided} "
            "on average (the shared registries supply the rest): {reduction} fewer. Fields: "
            "{fields_base} typed item by item, {fields_typed} on average in the one form."
        ),
        "config_title": "Configuration (defaults and their sources)",
        "key": "key",
        "value": "value",
        "source": "source",
        "illustrative": "illustrative",
        "check_title": "How to check",
        "check_text": (
            "Every number here is read by simulation/figures.py from the run's database: "
            "case (actual_days, baseline_days, materials_*), case_item, case_event (claims, "
            "supplements, rejections) and sim_baseline (the one-by-one draws). Keep the "
            "database with --keep-db to recompute them; they are also embedded in this file "
            "as JSON (id=figures)."
        ),
        "driver_text": "Driver: {steps} steps, {updates} updates, {refused} refused, {deferred} "
        "waited for a timer of their workflow to fire first; {processes} separate workflow "
        "worker processes; CPU time: {cpu_main} s in the main process, {cpu_children} s in the "
        "children (workflow workers and the test server).",
        "status.completed": "completed",
        "status.rejected": "rejected",
        "status.not_supplemented": "not supplemented",
        "status.running": "running",
        "status.failed": "failed",
        "status.withdrawn": "withdrawn",
        "status.partially_completed": "partially completed",
        "status.submitted": "submitted",
    },
}


def days(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _date(value: datetime | None) -> str:
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d") if value else "—"


class Texts:
    """The texts of one language: `t("key", name=...)` and `tx(Text)`."""

    def __init__(self, lang: str):
        self.lang = lang
        self.table = TEXTS[lang]

    def __call__(self, key: str, **values: Any) -> str:
        return self.table.get(key, key).format(**values)

    def tx(self, text: Text) -> str:
        return text.zh if self.lang == "zh" else text.en


def _histogram(buckets: list[Bucket], kind: str, title: str, t: Texts) -> Markup | None:
    if not buckets:
        return None
    bars = [
        charts.Bar(
            f"{b.low:g}–{b.high:g}",
            [charts.Segment(b.cases, kind, f"{b.cases} {t('cases_unit')}")],
            note=str(b.cases) if b.cases else "",
        )
        for b in buckets
    ]
    return charts.bars(
        [charts.Group("", bars)],
        title=title,
        description=title,
        unit=t("cases_unit"),
        label_width=140,
    )


def build_charts(f: RunFigures, t: Texts) -> dict[str, Markup | None]:
    """The report's charts in one language (None for a chart with nothing to draw)."""
    return {
        "compare": _compare_chart(f, t),
        "bundled": _histogram(f.bundled_histogram, "c-actual", t("hist_bundled"), t),
        "one_by_one": _histogram(f.one_by_one_histogram, "c-base", t("hist_one"), t),
        "drivers": _drivers_chart(f, t),
        "reviews": _reviews_chart(f, t),
    }


def _compare_chart(f: RunFigures, t: Texts) -> Markup:
    """One by one against bundled: medians, p90s, the catalog's figure and the promise, with
    the published figures as markers."""

    def bar(label: str, value: float | None, kind: str) -> charts.Bar:
        return charts.Bar(label, [charts.Segment(value or 0.0, kind)], note=days(value))

    return charts.bars(
        [
            charts.Group(
                t("one_by_one"),
                [
                    bar(t("median"), f.one_by_one.median, "c-base"),
                    bar(t("p90"), f.one_by_one.p90, "c-base"),
                    bar(t("catalog"), f.catalog_baseline_days, "c-base"),
                ],
            ),
            charts.Group(
                t("bundled"),
                [
                    bar(t("median"), f.bundled.median, "c-actual"),
                    bar(t("p90"), f.bundled.p90, "c-p90"),
                    bar(t("promise"), f.promised_days, "c-good"),
                ],
            ),
        ],
        title=t("compare_title"),
        description=t("compare_note"),
        unit=t("days_unit"),
        markers=_published_markers(f, t),
        chart_id=f"compare-{t.lang}",
    )


def _published_markers(f: RunFigures, t: Texts) -> list[charts.Marker]:
    if not f.published:
        return []
    return [
        charts.Marker(
            f.published.one_by_one, t("published_marker", days=f"{f.published.one_by_one:g}")
        ),
        charts.Marker(f.published.bundled, t("published_marker", days=f"{f.published.bundled:g}")),
    ]


def _drivers_chart(f: RunFigures, t: Texts) -> Markup | None:
    """Critical-path days per completed case of the items that matter, department and
    applicant time apart."""
    completed = max(f.completed, 1)
    groups = [
        charts.Group(
            t.tx(d.name),
            [
                charts.Bar(
                    "",
                    [
                        charts.Segment(
                            (d.critical_days - d.critical_applicant_days) / completed,
                            "c-dept",
                            t("dept_time"),
                        ),
                        charts.Segment(
                            d.critical_applicant_days / completed, "c-wait", t("applicant_time")
                        ),
                    ],
                    note=percent(d.share_of_days),
                )
            ],
        )
        for d in f.drivers
        if d.critical_days > 0.0005 * completed
    ]
    if not groups:
        return None
    return charts.bars(
        groups,
        title=t("drivers_title"),
        description=t("drivers_note"),
        unit=t("days_unit"),
        legend=[("c-dept", t("dept_time")), ("c-wait", t("applicant_time"))],
        chart_id=f"drivers-{t.lang}",
    )


def _reviews_chart(f: RunFigures, t: Texts) -> Markup | None:
    """Each reviewed item's mean days: the wait for a clerk, the clerk's time, the
    applicant's supplement time."""
    groups = [
        charts.Group(
            t.tx(r.name),
            [
                charts.Bar(
                    "",
                    [
                        charts.Segment(r.queue_days or 0.0, "c-p90", t("queue")),
                        charts.Segment(r.clerk_days or 0.0, "c-dept", t("clerk")),
                        charts.Segment(
                            r.applicant_days_per_task or 0.0, "c-wait", t("applicant_time")
                        ),
                    ],
                    note=days(r.item_days, 2),
                )
            ],
        )
        for r in f.reviews
    ]
    if not groups:
        return None
    return charts.bars(
        groups,
        title=t("review_chart"),
        description=t("review_chart"),
        unit=t("days_unit"),
        legend=[
            ("c-p90", t("queue")),
            ("c-dept", t("clerk")),
            ("c-wait", t("applicant_time")),
        ],
        chart_id=f"reviews-{t.lang}",
    )


def config_rows(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The configuration as (key, value, source) rows: distributions described, sources
    attached to the entries they belong to."""
    rows: list[dict[str, Any]] = []

    def walk(prefix: str, node: Any, source: dict[str, Any] | None) -> None:
        if isinstance(node, dict) and "dist" in node:
            clean = {k: v for k, v in node.items() if v is not None}
            rows.append({"key": prefix, "value": Dist(**clean).describe(), "source": source})
            return
        if isinstance(node, dict):
            own = node.get("source") if isinstance(node.get("source"), dict) else source
            for key, value in node.items():
                if key != "source":
                    walk(f"{prefix}.{key}" if prefix else key, value, own)
            return
        rows.append(
            {"key": prefix, "value": json.dumps(node, ensure_ascii=False), "source": source}
        )

    walk("", config, None)
    return [r for r in rows if r["value"] not in ("{}", "[]")]


def render(f: RunFigures) -> str:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    )
    template = environment.get_template("report.html")
    driver = f.run.get("driver") or {}
    pages = []
    for lang in LANGS:
        t = Texts(lang)
        statuses = ", ".join(f"{t('status.' + s)} {n}" for s, n in f.by_status.items())
        top = next((d for d in f.drivers if d.critical_days > 0), None)
        review = next((r for r in f.reviews if top and r.item == top.item), None)
        pages.append(
            {
                "lang": lang,
                "t": t,
                "tx": t.tx,
                "charts": build_charts(f, t),
                "statuses": statuses,
                "top": top,
                "top_review": review,
            }
        )
    figures_json = f.model_dump_json().replace("</", "<\\/")
    return template.render(
        f=f,
        pages=pages,
        days=days,
        percent=percent,
        date=_date,
        css=Markup("\n".join(p.read_text(encoding="utf-8") for p in STYLES)),
        figures_json=Markup(figures_json),
        config=config_rows(f.run.get("config") or {}),  # type: ignore[arg-type]
        driver=driver,
        seconds=f.run.get("seconds"),
        processes=f.run.get("processes"),
        cpu=f.run.get("cpu") or {},
    )


def write_report(out: Path, figures: RunFigures) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(figures), encoding="utf-8")
    return out
