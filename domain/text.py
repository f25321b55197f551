"""Bilingual text, the vocabulary's one way to say something to people: zh-CN first, English
too. Messages travel as `Text` up to the edge, where the API answers both languages (or the one
Accept-Language asks for) and a page picks the visitor's."""

from pydantic import BaseModel, ConfigDict


class Text(BaseModel):
    """A bilingual text: zh-CN first, English too."""

    model_config = ConfigDict(frozen=True)

    zh: str
    en: str


# The workflows' reasons (workflows/scenario.py) whose English ends so before ": " and a detail
# in someone's own words (the applicant's, the clerk's, a department's error): that detail is
# the same in both languages. After any other English (": not supplemented in time") it is
# English.
SHARED_DETAIL_AFTER = ("rejected", "failed", "withdrawn by the applicant")


def from_joined(message: str) -> Text:
    """A message the workflows write as one string (a case's or an item's reason, kept so in
    their histories): "中文 / English", the English maybe followed by ": " and a detail in
    someone's own words ("出生登记 被驳回 / Birth registration rejected: 材料不全"), which each
    language keeps. A string without " / " is the same in both."""
    zh, joined, en = message.partition(" / ")
    if not joined:
        return Text(zh=message, en=message)
    head, colon, detail = en.partition(": ")
    if not colon or not head.endswith(SHARED_DETAIL_AFTER):
        return Text(zh=zh, en=en)
    return Text(zh=f"{zh}：{detail}", en=en)
