"""Every string of the web pages, in zh-CN and English, in one table.

Templates call `t("key", name=value)`; Python code that needs both languages at once (a
condition written for the notice, a refusal) calls `both("key", ...)` and gets a `Text`.
The language is `?lang=en|zh` (remembered in a cookie), else the cookie, else zh-CN.
"""

from typing import Any

from fastapi import Request

from catalog.models import Text

LANGS = ("zh", "en")
LANG_COOKIE = "onego_lang"

# key -> (zh-CN, English); {name} placeholders are filled by t(key, name=...).
MESSAGES: dict[str, tuple[str, str]] = {
    # punctuation
    "ui.paren": ("（{text}）", " ({text})"),
    "ui.colon": ("：", ": "),
    "ui.list_sep": ("、", ", "),
    # layout
    "site.name": ("一件事一次办", "One thing, one go"),
    "site.tagline": ("一次告知 · 一表申报 · 一网办理", "One notice · one form · one case"),
    "site.footer": (
        "演示系统：登记信息均为合成数据，不涉及真实个人信息。",
        "Demo system: every record is synthetic; no real personal data.",
    ),
    "nav.scenarios": ("办事指南", "Services"),
    "nav.my_cases": ("我的办件", "My cases"),
    "nav.inbox": ("待办任务", "Inbox"),
    "nav.login": ("登录", "Sign in"),
    "nav.logout": ("退出", "Sign out"),
    "nav.language": ("语言", "Language"),
    "nav.skip": ("跳到正文", "Skip to content"),
    # login
    "login.title": ("登录", "Sign in"),
    "login.intro": (
        "申请人、窗口工作人员和科室负责人使用同一登录入口。",
        "Applicants, clerks and supervisors sign in here.",
    ),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong username or password"),
    "login.totp": ("动态码", "Authenticator code"),
    "login.totp_hint": (
        "已启用双因素认证的工作人员填写身份验证器中的 6 位数字，其他用户留空",
        "Staff with two-factor sign-in: the 6 digits of your authenticator app; others leave empty",
    ),
    "login.required": ("请先登录", "Please sign in first"),
    "login.signed_in_as": ("当前用户：{name}", "Signed in as {name}"),
    # errors
    "error.title": ("无法完成", "Something went wrong"),
    "error.not_found": ("没有找到该页面或办件", "There is no such page or case"),
    "error.forbidden": ("您的账号无权访问此页面", "Your account may not open this page"),
    "error.invalid_query": (
        "地址中的参数无效（日期须在 2000-01-01 至 2100-12-31 之间）",
        "Invalid address parameters (days lie between 2000-01-01 and 2100-12-31)",
    ),
    "error.csrf": (
        "表单已失效或并非从本站提交，未作任何处理。请返回上一页，刷新后再提交。",
        "This form expired or was not sent from this site, so nothing was done. Go back, "
        "reload the page and send it again.",
    ),
    "error.back": ("返回首页", "Back to the start page"),
    # scenario list
    "scenarios.title": ("一件事一次办 · 办事指南", "One thing, one go: services"),
    "scenarios.intro": (
        "每件事只填一张表、只交一次材料，多个部门的事项一次办结。",
        "For each life event: one form, materials asked once, every department in one go.",
    ),
    "scenarios.for_individual": ("个人办事", "For individuals"),
    "scenarios.for_business": ("企业办事", "For businesses"),
    "scenarios.stage": ("阶段", "Stage"),
    "scenarios.audience": ("对象", "For"),
    "scenarios.items": ("涉及事项", "Items"),
    "scenarios.items_count": ("{n} 项", "{n}"),
    "scenarios.reduction": ("材料精简", "Fewer materials"),
    "scenarios.reduction_value": (
        "{baseline} 份 → {asked} 份，减少 {percent}%",
        "{baseline} → {asked}, {percent}% fewer",
    ),
    "scenarios.days": ("承诺时限", "Promised time"),
    "scenarios.days_value": (
        "{promised} 个工作日（逐项办理 {baseline} 天）",
        "{promised} working days (one by one: {baseline})",
    ),
    "scenarios.notice": ("一次告知", "Notice"),
    "scenarios.apply": ("在线申报", "Apply online"),
    "scenarios.empty": ("暂无可办理的事项", "No services yet"),
    "audience.individual": ("个人", "Individuals"),
    "audience.business": ("企业", "Businesses"),
    # the notice
    "notice.title": ("一次告知书", "Notice of everything needed"),
    "notice.intro": (
        "以下为办理“{name}”所需的全部事项、条件、材料、费用与时限，不再另行要求其他材料。",
        "Everything needed for “{name}”: items, conditions, materials, fees and time limits."
        " Nothing else will be asked.",
    ),
    "notice.eligibility": ("办理条件", "Eligibility"),
    "notice.summary": ("材料与时限一览", "Materials and time at a glance"),
    "notice.asked": ("仍需您提供的材料", "Materials you still provide"),
    "notice.fetched": ("经共享库调取、无需提供的材料", "Fetched from registries: not asked"),
    "notice.supplied": (
        "由本件事其他事项产出、无需提供的材料",
        "Supplied by other items: not asked",
    ),
    "notice.none": ("无", "None"),
    "notice.items": ("办理事项", "Items"),
    "notice.item": ("事项", "Item"),
    "notice.department": ("办理部门", "Department"),
    "notice.condition": ("办理条件", "Applies"),
    "notice.always": ("均需办理", "Always"),
    "notice.when_equals": ("当“{label}”为“{value}”时办理", "When “{label}” is “{value}”"),
    "notice.when_one_of": ("当“{label}”为{values}之一时办理", "When “{label}” is one of {values}"),
    "notice.when_answered": ("当填写了“{label}”时办理", "When “{label}” is answered"),
    "notice.after": ("在以下事项办结后办理：{items}", "After: {items}"),
    "notice.materials": ("材料", "Materials"),
    "notice.outputs": ("办理结果", "Results"),
    "notice.fee": ("收费", "Fee"),
    "notice.free": ("不收费", "Free"),
    "notice.fee_value": ("{fee} 元", "CNY {fee}"),
    "notice.time": ("时限", "Time limit"),
    "notice.time_value": (
        "承诺 {promised} 个工作日（法定 {legal} 个工作日）",
        "{promised} working days promised ({legal} by law)",
    ),
    "mode.automatic": ("即办件（自动办理）", "Immediate (automatic)"),
    "mode.reviewed": ("承诺件（部门审核）", "Reviewed by the department"),
    "material.asked": ("需提供", "You provide"),
    "material.registry": ("共享库调取：{via}", "Fetched: {via}"),
    "material.output": ("由“{via}”产出", "Supplied by “{via}”"),
    "material_form.original": ("原件", "original"),
    "material_form.copy": ("复印件", "copy"),
    "material_form.e_licence": ("电子证照", "electronic licence"),
    "notice.figures": (
        "逐项办理需提交 {baseline} 份材料，一件事办理仅需 {asked} 份；"
        "逐项办理约 {baseline_days} 天，一件事承诺 {promised_days} 个工作日。",
        "One by one: {baseline} materials and about {baseline_days} days; "
        "in one go: {asked} materials and {promised_days} working days promised.",
    ),
    "notice.pdf": ("下载 PDF", "Download PDF"),
    "notice.apply": ("开始申报", "Start the application"),
    "notice.generated": ("版本 {version} · 生成于 {at}", "Version {version} · generated {at}"),
    # the form
    "form.title": ("在线申报：{name}", "Apply: {name}"),
    "form.intro": (
        "带 * 的为必填项。已预填的信息来自政务共享库，请核对后提交。",
        "Fields marked * are required. Prefilled values come from shared registries:"
        " check them before you submit.",
    ),
    "form.required": ("必填", "required"),
    "form.prefilled": ("已预填（来自{registry}）", "prefilled from the {registry}"),
    "form.choose": ("请选择", "Choose"),
    "form.yes": ("是", "Yes"),
    "form.no": ("否", "No"),
    "form.submit": ("提交申请", "Submit the application"),
    "form.errors": (
        "申请有 {n} 处需要修改，尚未提交。",
        "{n} problems to correct; nothing was submitted.",
    ),
    "form.materials_fetched": (
        "以下材料将从共享库调取，无需提供：{names}",
        "These materials are fetched from registries, not asked: {names}",
    ),
    "form.materials_asked": (
        "请准备以下材料（受理后按通知提交）：{names}",
        "Have these materials ready (you will be told how to provide them): {names}",
    ),
    # cases
    "cases.title": ("我的办件", "My cases"),
    "cases.empty": ("您还没有办件", "You have no cases yet"),
    "cases.scenario": ("一件事", "Service"),
    "cases.submitted": ("提交时间", "Submitted"),
    "cases.status": ("状态", "Status"),
    "cases.progress": ("进度", "Progress"),
    "cases.open": ("查看", "Open"),
    "case.title": ("办件详情", "Case"),
    "case.number": ("办件编号", "Case number"),
    "case.submitted": ("提交时间", "Submitted"),
    "case.completed": ("办结时间", "Completed"),
    "case.reason": ("原因", "Reason"),
    "case.items": ("事项进度", "Items"),
    "case.item": ("事项", "Item"),
    "case.department": ("部门", "Department"),
    "case.status": ("状态", "Status"),
    "case.outputs": ("办理结果", "Results issued"),
    "case.due": ("承诺时限", "Due"),
    "case.breached": ("已超期", "Past its limit"),
    "case.undone": ("已撤销的事项", "Undone items"),
    "case.measures": ("办理成效", "Measures"),
    "case.materials": ("材料", "Materials"),
    "case.materials_value": (
        "逐项办理 {baseline} 份 → 本次提供 {provided} 份",
        "one by one {baseline} → provided {provided}",
    ),
    "case.fields": ("填写项", "Fields typed"),
    "case.fields_value": (
        "逐项填写 {baseline} 项 → 本次填写 {typed} 项",
        "one by one {baseline} → typed {typed}",
    ),
    "case.days": ("办理时间", "Time"),
    "case.days_value": (
        "逐项办理约 {baseline} 天 → 实际 {actual}",
        "one by one about {baseline} days → actual {actual}",
    ),
    "case.days_running": ("办理中", "still running"),
    "case.days_actual": ("{days} 个工作日", "{days} working days"),
    "case.time_split": ("申请人用时 / 部门用时", "Applicant / department time"),
    "case.time_split_value": (
        "{applicant} / {department} 个工作日",
        "{applicant} / {department} working days",
    ),
    "case.breaches": ("超期事项", "Items past their limit"),
    "case.notifications": ("消息", "Messages"),
    "case.no_notifications": ("暂无消息", "No messages"),
    "case.supplement": ("请补正：{item}", "Please supplement: {item}"),
    "case.supplement_note": ("部门说明", "What the department says"),
    "case.supplement_deadline": ("补正期限：{at}", "Answer by {at}"),
    "case.supplement_material": ("我已按要求补交：{name}", "I have provided: {name}"),
    "case.supplement_submit": ("提交补正", "Send the supplement"),
    "case.withdraw": ("撤回申请", "Withdraw the application"),
    "case.withdraw_reason": ("撤回原因", "Why you withdraw"),
    "case.withdraw_hint": (
        "撤回后已办结的事项将依法撤销。",
        "Items already done will be undone.",
    ),
    "case.refresh": ("刷新", "Refresh"),
    "case.ready": ("可办理", "ready"),
    "case.waiting": ("等待前序事项", "waiting for earlier items"),
    # statuses
    "case_status.submitted": ("已提交", "Submitted"),
    "case_status.running": ("办理中", "In progress"),
    "case_status.completed": ("已办结", "Completed"),
    "case_status.partially_completed": ("部分办结", "Partially completed"),
    "case_status.rejected": ("未通过", "Rejected"),
    "case_status.not_supplemented": ("逾期未补正", "Not supplemented"),
    "case_status.withdrawn": ("已撤回", "Withdrawn"),
    "case_status.failed": ("办理失败", "Failed"),
    "item_status.pending": ("待办理", "Pending"),
    "item_status.awaiting_review": ("部门审核中", "Under review"),
    "item_status.awaiting_supplement": ("待补正", "Awaiting your supplement"),
    "item_status.running": ("办理中", "In progress"),
    "item_status.done": ("已办结", "Done"),
    "item_status.rejected": ("未通过", "Rejected"),
    "item_status.failed": ("办理失败", "Failed"),
    "item_status.cancelled": ("已取消", "Cancelled"),
    "item_status.compensated": ("已撤销", "Undone"),
    "task_status.open": ("待审核", "Open"),
    "task_status.waiting": ("等待补正", "Waiting for the applicant"),
    "task_status.overdue": ("已超期", "Overdue"),
    "task_status.closed": ("已结束", "Closed"),
    "task_status.all": ("全部", "All"),
    # flash messages after an action
    "flash.submitted": ("申请已提交，正在办理。", "Submitted; the case is running."),
    "flash.queued": (
        "申请已受理，办理将在数秒内开始。",
        "Received; processing starts within seconds.",
    ),
    "flash.supplemented": ("补正已提交。", "Your supplement was sent."),
    "flash.withdrawn": ("申请已撤回。", "The application was withdrawn."),
    "flash.claimed": ("已领取该任务。", "You hold this task now."),
    "flash.assigned": ("已分派。", "Assigned."),
    "flash.approve": ("已批准。", "Approved."),
    "flash.reject": ("已驳回。", "Rejected."),
    "flash.supplement": ("已要求申请人补正。", "The applicant was asked to supplement."),
    "flash.refused": ("操作未执行：{reason}", "Not done: {reason}"),
    # inbox
    "inbox.title": ("待办任务 · {department}", "Inbox · {department}"),
    "inbox.team": ("科室任务总览", "Team backlog"),
    "inbox.open": ("待审核", "Open"),
    "inbox.overdue": ("已超期", "Overdue"),
    "inbox.unassigned": ("未领取", "Unassigned"),
    "inbox.by_holder": ("按经办人", "By holder"),
    "inbox.empty": ("没有任务", "No tasks"),
    "inbox.item": ("事项", "Item"),
    "inbox.case": ("办件", "Case"),
    "inbox.status": ("状态", "Status"),
    "inbox.holder": ("经办人", "Holder"),
    "inbox.nobody": ("—", "—"),
    "inbox.due": ("承诺期限", "Due"),
    "inbox.remaining": ("剩余工作时间", "Working time left"),
    "inbox.remaining_value": ("{days} 个工作日", "{days} working days"),
    "inbox.overdue_value": ("超期 {days} 个工作日", "{days} working days overdue"),
    "inbox.open_task": ("办理", "Open"),
    "inbox.assign": ("分派", "Assign"),
    "inbox.assign_to": ("分派给", "Assign to"),
    "inbox.notifications": ("部门消息", "Department messages"),
    "inbox.no_notifications": ("暂无消息", "No messages"),
    # task page
    "task.title": ("审核任务：{item}", "Review: {item}"),
    "task.case": ("办件编号", "Case number"),
    "task.opened": ("收件时间", "Opened"),
    "task.due": ("承诺期限", "Due"),
    "task.holder": ("经办人", "Holder"),
    "task.unheld": ("尚未领取", "Not claimed"),
    "task.fields": ("本事项所需申报信息", "What this item needs from the form"),
    "task.fields_hint": (
        "仅显示本事项所需信息，其他部门的信息不予展示。",
        "Only this item's data is shown; other departments' data is not.",
    ),
    "task.upstream": ("前序事项结果", "Results of earlier items"),
    "task.materials": ("材料", "Materials"),
    "task.none": ("无", "None"),
    "task.claim": ("领取任务", "Claim the task"),
    "task.approve": ("批准", "Approve"),
    "task.reject": ("驳回", "Reject"),
    "task.reject_code": ("驳回理由", "Reason"),
    "task.reject_text": ("说明", "Explanation"),
    "task.supplement": ("要求补正", "Ask for a supplement"),
    "task.supplement_fields": ("需补正的信息", "Fields to correct"),
    "task.supplement_materials": ("需补交的材料", "Materials to provide"),
    "task.supplement_note": ("问题说明", "What is wrong"),
    "task.supplement_waiting": (
        "已要求补正，等待申请人（计时暂停）：{note}",
        "Waiting for the applicant's supplement (clock stopped): {note}",
    ),
    "task.decided": ("该任务已处理：{status}", "This task is closed: {status}"),
    "task.back": ("返回待办任务", "Back to the inbox"),
    "task.department_days": ("部门用时 {days} 个工作日", "Department time: {days} working days"),
    "task.applicant_days": ("申请人用时 {days} 个工作日", "Applicant time: {days} working days"),
    "task.decision_problems": ("请修改后再提交：{problems}", "Correct and send again: {problems}"),
    # the manager's pages (web/manager.py): the reform dashboard and a case's SLA trace
    "nav.dashboard": ("改革成效", "Dashboard"),
    "dash.title": ("一件事一次办 · 改革成效看板", "One thing, one go: reform dashboard"),
    "dash.intro": (
        "按提交日期统计所选期间的办件：材料与时间较逐项办理减少多少，是否达到全市目标，"
        "各部门是否按承诺时限办结，剩余的时间花在哪里。",
        "Cases submitted in the chosen period: how much fewer materials and less time than"
        " applying item by item, against the city's targets; whether departments keep their"
        " promised limits; where the remaining days go.",
    ),
    "dash.from": ("开始日期", "From"),
    "dash.to": ("结束日期", "To"),
    "dash.scenario": ("场景", "Scenario"),
    "dash.all_scenarios": ("全部场景", "All scenarios"),
    "dash.show": ("查看", "Show"),
    "dash.last_days": ("近 {n} 天", "Last {n} days"),
    "dash.period": (
        "统计期间：{start} 至 {end}（按提交日期）",
        "Period: {start} to {end} (by submission day)",
    ),
    "dash.headline": ("主要指标", "Headline figures"),
    "dash.cases": ("办件量", "Cases"),
    "dash.cases_sub": (
        "办理中 {open} · 已办结 {completed}",
        "{open} in progress · {completed} completed",
    ),
    "dash.completion": ("办结率", "Completion rate"),
    "dash.completion_sub": ("已结束办件中办结的比例", "Share of ended cases that completed"),
    "dash.material_reduction": ("材料精简", "Fewer materials"),
    "dash.time_reduction": ("时间压缩", "Less time"),
    "dash.against_target": ("目标 {target}", "target {target}"),
    "dash.materials_sub": ("{base} 份 → {provided} 份", "{base} → {provided}"),
    "dash.median_days": ("办结用时中位数（工作日）", "Median working days"),
    "dash.days_sub": (
        "90% 分位 {p90} · 逐项办理 {base}",
        "90th percentile {p90} · one by one {base}",
    ),
    "dash.sla": ("按时办结率", "SLA compliance"),
    "dash.overdue_now": ("当前超期任务 {n} 件", "{n} tasks overdue now"),
    "dash.empty": ("所选期间没有办件", "No cases in this period"),
    "dash.reductions": (
        "减材料、减时间：对照全市目标",
        "Fewer materials, less time: against the city's targets",
    ),
    "dash.reductions_note": (
        "材料：1 − 实际提交 ÷ 逐项办理所需；时间：1 − 实际工作日 ÷ 逐项办理工作日（已办结办件）。",
        "Materials: 1 − provided ÷ needed one by one; time: 1 − working days taken ÷ one-by-one"
        " working days (completed cases).",
    ),
    "dash.materials": ("材料", "Materials"),
    "dash.time": ("时间", "Time"),
    "dash.meets": ("达到目标", "Meets the target"),
    "dash.misses": ("未达目标", "Below the target"),
    "dash.target_materials": ("材料目标 {p}%", "materials {p}%"),
    "dash.target_time": ("时间目标 {p}%", "time {p}%"),
    "dash.chart_reductions": ("各场景减材料、减时间比例", "Reductions per scenario"),
    "dash.chart_reductions_desc": (
        "每个场景两根横条：材料精简比例和时间压缩比例，虚线为全市目标。",
        "Two bars per scenario, material and time reduction; dashed lines are the targets.",
    ),
    "dash.days_title": ("办结用时：逐项办理与一件事办理", "Working days: one by one and in one go"),
    "dash.chart_days": ("各场景办结用时（工作日）", "Working days per scenario"),
    "dash.chart_days_desc": (
        "每个场景三根横条：逐项办理平均工作日、一件事办理用时中位数和 90% 分位数。",
        "Three bars per scenario: one-by-one days, median and 90th percentile in one go.",
    ),
    "dash.one_by_one": ("逐项办理", "One by one"),
    "dash.median": ("中位数", "Median"),
    "dash.ninetieth": ("90% 分位", "90th pct"),
    "dash.working_days": ("工作日", "working days"),
    "dash.working_days_n": ("{n} 个工作日", "{n} working days"),
    "dash.share_unit": ("占已办结办件总用时的 %", "% of the completed cases' days"),
    "dash.in_progress": ("办理中", "In progress"),
    "dash.materials_col": ("材料（逐项 → 实交）", "Materials (one by one → provided)"),
    "dash.applicant_days": ("申请人补正用时", "Applicant time"),
    "dash.table_note": (
        "用时为工作日（节假日不计），中位数与 90% 分位按 0.1 个工作日向上取整；"
        "均按提交日期归入期间。",
        "Working days (holidays excluded); median and 90th percentile rounded up to a tenth;"
        " cases belong to the period of their submission day.",
    ),
    "dash.departments": ("各部门按时办结与积压", "Departments: SLA compliance and backlog"),
    "dash.chart_sla": ("各部门按时办结率", "SLA compliance per department"),
    "dash.chart_sla_desc": (
        "每个部门一根横条：已审核事项中未超承诺时限的比例。",
        "One bar per department: share of its reviews decided within the promised limit.",
    ),
    "dash.overdue_n": ("超期 {n}", "{n} overdue"),
    "dash.department": ("部门", "Department"),
    "dash.reviewed": ("已审核", "Reviewed"),
    "dash.breached": ("超时", "Breached"),
    "dash.mean_item_days": ("平均用时（工作日）", "Mean days"),
    "dash.share_of_days": ("占总用时", "Share of days"),
    "dash.open_now": ("当前在办", "Open now"),
    "dash.waiting_applicant": ("等待补正", "Awaiting supplement"),
    "dash.overdue": ("超期", "Overdue"),
    "dash.departments_note": (
        "按时办结率统计期间内已结束办件中经审核的事项；在办、等待补正与超期为当前数（不受期间影响）。",
        "SLA compliance covers reviews decided in the period's ended cases; open, awaiting"
        " supplement and overdue are as of now, whatever the period.",
    ),
    "dash.drivers": ("剩余时间花在哪里", "Where the remaining days go"),
    "dash.drivers_note": (
        "关键路径：决定办件办结时间的事项链。下表按事项在关键路径上的用时排序。",
        "The critical path is the chain of items whose ends decided the case's end; items are"
        " ranked by the days they spent on it.",
    ),
    "dash.top_driver": (
        "用时最多的是“{item}”（{department}）：平均每件 {days} 个工作日，占办结总用时的 {share}。",
        "The largest share is “{item}” ({department}): {days} working days per case, {share}"
        " of all completed cases' days.",
    ),
    "dash.chart_drivers": ("关键路径上各事项的用时占比", "Each item's share of the days"),
    "dash.chart_drivers_desc": (
        "每个事项一根横条：在关键路径上的工作日占已办结办件总用时的比例，分为部门用时和申请人补正用时。",
        "One bar per item: its working days on the critical path as a share of all completed"
        " cases' days, department and applicant time apart.",
    ),
    "dash.department_time": ("部门用时", "Department time"),
    "dash.applicant_time": ("申请人补正", "Applicant's supplement"),
    "dash.item": ("事项", "Item"),
    "dash.items": ("办理次数", "Items"),
    "dash.critical": ("在关键路径上", "On the critical path"),
    "dash.critical_days": ("每件平均（工作日）", "Days per case"),
    "dash.traces": ("办件时间轴", "Case timelines"),
    "dash.case_id": ("办件编号", "Case id"),
    "dash.open_trace": ("查看时间轴", "Open its timeline"),
    "dash.slowest": ("期间内用时最长的办件", "Slowest completed cases of the period"),
    "dash.breaches_n": ("超时 {n} 项", "{n} breached"),
    "dash.source": ("目标来源：{citation}", "Targets from: {citation}"),
    "trace.title": ("办件时间轴：{name}", "Case timeline: {name}"),
    "trace.back": ("返回看板", "Back to the dashboard"),
    "trace.case": ("办件编号", "Case"),
    "trace.status": ("状态", "Status"),
    "trace.submitted": ("提交时间", "Submitted"),
    "trace.completed": ("结束时间", "Ended"),
    "trace.days": ("用时", "Time"),
    "trace.days_value": (
        "{actual} 个工作日（逐项办理 {baseline}）",
        "{actual} working days (one by one: {baseline})",
    ),
    "trace.split": ("部门 / 申请人", "Department / applicant"),
    "trace.split_value": (
        "部门 {department} · 申请人补正 {applicant} 个工作日",
        "department {department} · applicant {applicant} working days",
    ),
    "trace.breaches": ("超时事项", "Breaches"),
    "trace.critical_path": ("关键路径", "Critical path"),
    "trace.timeline": ("各部门事项时间轴", "Items across departments"),
    "trace.chart": ("{name}：各事项时间轴", "{name}: items on a timeline"),
    "trace.chart_desc": (
        "每个事项一行：横条为开始到结束，虚线框到承诺时限，斜纹为等待申请人补正，粗框为关键路径，灰底为休息日。",
        "One row per item: the bar runs from start to end, the dashed box to the promised"
        " limit; hatched is waiting for the applicant, outlined is the critical path, grey"
        " columns are rest days.",
    ),
    "trace.legend_bar": ("办理用时", "Item time"),
    "trace.legend_wait": ("等待申请人补正", "Waiting for the applicant"),
    "trace.legend_limit": ("承诺时限", "Promised limit"),
    "trace.legend_breached": ("超时", "Breached"),
    "trace.legend_critical": ("关键路径", "Critical path"),
    "trace.legend_rest": ("休息日", "Rest day"),
    "trace.legend_note": (
        "承诺时限按工作日计，等待补正期间计时暂停，时限相应顺延。",
        "Limits count working days; the clock stops while the applicant supplements, and the"
        " limit moves by that time.",
    ),
    "trace.now": ("现在", "now"),
    "trace.days_of": ("{days} / {limit} 个工作日", "{days} of {limit} working days"),
    "trace.bar_title": ("{start} → {end}：{days} 个工作日", "{start} → {end}: {days} working days"),
    "trace.wait_title": (
        "等待申请人补正 {days} 个工作日",
        "Waiting for the applicant: {days} working days",
    ),
    "trace.items": ("事项明细", "Items"),
    "trace.start": ("开始", "Start"),
    "trace.end": ("结束", "End"),
    "trace.item_days": ("用时（工作日）", "Working days"),
    "trace.promised": ("承诺（工作日）", "Promised"),
    "trace.due": ("承诺办结时间", "Due"),
    "trace.waits": ("等待补正", "Supplement waits"),
    "trace.on_path": ("关键路径", "critical"),
    "trace.breached": ("超时", "breached"),
    "trace.wait_row": (
        "{start} → {end}（{days} 个工作日）",
        "{start} → {end} ({days} working days)",
    ),
    # the audit trail (auditor role)
    "nav.audit": ("审计日志", "Audit trail"),
    "audit.title": ("审计日志", "Audit trail"),
    "audit.intro": (
        "每条记录以 SM3 哈希与上一条链接，只能追加，不能修改或删除；"
        "时间为北京时间，筛选日期按 UTC。",
        "Each row is linked to the one before by an SM3 hash and can only be appended, never"
        " changed or deleted; times in China time, the date filters in UTC.",
    ),
    "audit.from": ("起始日期", "From"),
    "audit.to": ("截止日期", "To"),
    "audit.actor": ("操作人", "Actor"),
    "audit.action": ("操作", "Action"),
    "audit.object": ("对象", "Object"),
    "audit.filter": ("筛选", "Filter"),
    "audit.seq": ("序号", "Seq"),
    "audit.at": ("时间", "Time"),
    "audit.role": ("角色", "Role"),
    "audit.outcome": ("结果", "Outcome"),
    "audit.client": ("来源地址", "Client"),
    "audit.detail": ("说明", "Detail"),
    "audit.hash": ("哈希", "Hash"),
    "audit.none": ("没有符合条件的记录。", "No rows match."),
    "audit.next": ("下一页", "Next page"),
    "audit.outcome.success": ("成功", "success"),
    "audit.outcome.failure": ("失败", "failure"),
    "audit.outcome.denied": ("拒绝", "denied"),
}


def lang_of(request: Request) -> str:
    """`?lang=` of this request, else the remembered choice, else zh-CN."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGS else "zh"


def translate(lang: str, key: str, **values: Any) -> str:
    """The UI string `key` in `lang`, with `{placeholders}` filled."""
    text = MESSAGES[key][LANGS.index(lang)]
    return text.format(**values) if values else text


def both(key: str, **values: Any) -> Text:
    """The UI string `key` in both languages (for text built in Python, e.g. the notice)."""
    return Text(zh=translate("zh", key, **values), en=translate("en", key, **values))


def pick(text: Any, lang: str) -> str:
    """One language of a bilingual value: a `Text`, a {"zh", "en"} dict, or a plain string."""
    if text is None:
        return ""
    if isinstance(text, Text):
        return getattr(text, lang)
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("zh") or "")
    return str(text)


def split_bilingual(message: str) -> Text:
    """A "中文 / English" message (workflow refusals, API details) as a `Text`."""
    zh, _, en = message.partition(" / ")
    return Text(zh=zh, en=en or zh)
