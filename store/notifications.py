"""Who hears of which event, and what they are told (zh-CN first, English too)."""

from domain.statuses import EventKind
from domain.text import Text, from_joined
from store.models import Audience

# event -> (audience, zh template, en template); {item} and {reason} are filled in.
RULES: dict[EventKind, list[tuple[Audience, str, str]]] = {
    EventKind.task_opened: [
        (Audience.department, "新的审核任务：{item}", "New review task: {item}")
    ],
    EventKind.reminder: [
        (Audience.department, "即将超期，请尽快处理：{item}", "Due soon, please decide: {item}")
    ],
    EventKind.escalation: [
        (Audience.supervisor, "已超过承诺时限：{item}", "Past its promised limit: {item}")
    ],
    EventKind.supplement_requested: [
        (Audience.applicant, "请补正：{item}（{reason}）", "Please supplement: {item} ({reason})")
    ],
    EventKind.supplement_received: [
        (Audience.department, "申请人已补正：{item}", "The applicant supplemented: {item}")
    ],
    EventKind.supplement_expired: [
        (
            Audience.applicant,
            "逾期未补正，办件已关闭：{item}",
            "Not supplemented in time, the case is closed: {item}",
        )
    ],
    EventKind.done: [(Audience.applicant, "已办结：{item}", "Done: {item}")],
    EventKind.rejected: [
        (Audience.applicant, "未通过：{item}（{reason}）", "Rejected: {item} ({reason})")
    ],
    EventKind.compensated: [
        (Audience.applicant, "已撤销：{item}（{reason}）", "Undone: {item} ({reason})")
    ],
    EventKind.case_finished: [(Audience.applicant, "办件已结束：{item}", "Case closed: {item}")],
}


def messages_for(kind: EventKind, item: Text, reason: str | None) -> list[tuple[Audience, Text]]:
    """The notifications an event causes."""
    why = from_joined(reason or "")
    return [
        (
            audience,
            Text(
                zh=zh.format(item=item.zh, reason=why.zh), en=en.format(item=item.en, reason=why.en)
            ),
        )
        for audience, zh, en in RULES.get(kind, [])
    ]
