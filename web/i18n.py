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
    "login.required": ("请先登录", "Please sign in first"),
    "login.signed_in_as": ("当前用户：{name}", "Signed in as {name}"),
    # errors
    "error.title": ("无法完成", "Something went wrong"),
    "error.not_found": ("没有找到该页面或办件", "There is no such page or case"),
    "error.forbidden": ("您的账号无权访问此页面", "Your account may not open this page"),
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
