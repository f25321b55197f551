"""The pages' languages: zh-CN first, English too, through Babel.

The messages are gettext catalogs, one per language (web/locale/<locale>/LC_MESSAGES/
messages.po), read with Babel when first needed (no compile step): a msgid is a key such as
"notice.title", `{name}` placeholders are filled by `t(key, name=...)`, and a plural message
(msgid_plural) is chosen by its `count` with the language's CLDR plural rules ("1 working day",
"2 working days"; one form in Chinese). Numbers in a message and dates are formatted by Babel
for the language. Templates get `t` (also Jinja2's i18n `gettext`/`ngettext`, so `_()` and
`{% trans %}` read the same catalogs), `tx` for a `Text` and `local_time`, `days`, `number`.

Python code that needs both languages at once (a condition written for the notice, a refusal)
calls `both("key", ...)` and gets a `Text`. The page's language is `?lang=en|zh` (remembered in
a cookie), else the cookie, else zh-CN.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import parse_pattern
from fastapi import Request
from markupsafe import Markup, escape

from catalog.calendar import CHINA_TZ
from domain.text import Text

LANGS = ("zh", "en")
LANG_COOKIE = "onego_lang"
LOCALES = {"zh": "zh_CN", "en": "en"}  # a page's language -> its Babel locale and catalog
LOCALE_DIR = Path(__file__).parent / "locale"
# The numbers of the pages: counts, and working days to one decimal ("2.5", "3").
NUMBER_FORMAT = parse_pattern("#,##0.#")
# CLDR's order of plural categories: a catalog's msgstr[i] follows it (Babel writes the
# Plural-Forms header of a catalog the same way).
PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")

# Keys added in Python by a change under way, merged into both catalogs when they load, until
# they move into web/locale (a key may not be in both: tests/web/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # manager exports (issue 14: the dashboard's overview and exports, the period form, the
    # trace's list on a narrow screen)
    "dash.overview": ("全部场景概览", "Overview of every scenario"),
    "dash.overview_note": (
        "点击场景名称，查看该场景的图表与明细。",
        "Open a scenario for its charts and details.",
    ),
    "dash.scenario_view": ("场景详情：{name}", "Scenario: {name}"),
    "dash.back_overview": ("返回全部场景概览", "Back to the overview of every scenario"),
    "dash.export": ("导出", "Export"),
    "dash.export_as": ("将“{table}”导出为 {format}", "Export “{table}” as {format}"),
    "dash.code": ("代码", "Code"),
    "dash.in_percent": ("{header}（%）", "{header} (%)"),
    "dash.in_days": ("{header}（工作日）", "{header} (working days)"),
    "dash.materials_baseline": ("逐项办理材料（份）", "Materials one by one"),
    "dash.materials_provided": ("实交材料（份）", "Materials provided"),
    "dash.period_invalid_day": (
        "请输入有效日期（年-月-日）",
        "Enter a valid date (year-month-day)",
    ),
    "dash.period_out_of_range": (
        "日期须在 {first} 至 {last} 之间",
        "The date must lie between {first} and {last}",
    ),
    "trace.list": ("各事项", "Items"),
    # documents, receipts and certificates (issue 13: docs/documents.md)
    "form.materials_legend": ("上传材料", "Upload materials"),
    "form.materials_hint": (
        "PDF、JPEG 或 PNG，每份不超过 {mib} MiB；按文件内容识别类型。",
        "PDF, JPEG or PNG, at most {mib} MiB each; the kind is told by the content.",
    ),
    "form.material_kept": ("已上传：{name}", "Uploaded: {name}"),
    "case.supplement_file": ("补交材料：{name}", "Hand in: {name}"),
    "case.receipt": ("受理回执（PDF）", "Acceptance receipt (PDF)"),
    "case.receipt_hint": (
        "请保存受理回执：凭办件编号可查询进度。",
        "Keep the acceptance receipt: the case number finds your case.",
    ),
    "case.certificate": ("电子证照（PDF）", "Electronic certificate (PDF)"),
    "cases.number": ("办件编号", "Case number"),
    "task.documents": ("申请人提交的文件", "Documents handed in"),
    "task.document_supplement": ("补正", "supplement"),
}


@cache
def catalog(lang: str) -> Catalog:
    """The messages of `lang`: its .po file, and the keys of `MESSAGES`."""
    with (LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / "messages.po").open("rb") as po:
        messages = read_po(po, locale=LOCALES[lang])
    for key, pair in MESSAGES.items():
        messages.add(key, pair[LANGS.index(lang)])
    return messages


@cache
def locale_of(lang: str) -> Locale:
    """Babel's locale of a page's language."""
    return Locale.parse(LOCALES[lang])


def lang_of(request: Request) -> str:
    """`?lang=` of this request, else the remembered choice, else zh-CN."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGS else "zh"


def number(value: float | Decimal, lang: str) -> str:
    """A count or a number of working days as `lang` writes it (one decimal at most)."""
    return NUMBER_FORMAT.apply(value, locale_of(lang))


def days(value: float | None, lang: str = "zh") -> str:
    """Working days with one decimal, without a trailing .0 ("—" when unknown)."""
    return "—" if value is None else number(value, lang)


def local_time(value: datetime | str | None, with_time: bool = True, lang: str = "zh") -> str:
    """A timestamp (or its ISO text) in China time (the service's calendar), as `lang` writes
    a date and a 24-hour time: "2026年12月7日 20:24", "Dec 7, 2026, 20:24"."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local, locale = value.astimezone(CHINA_TZ), locale_of(lang)
    day = format_date(local, "medium", locale=locale)
    if not with_time:
        return day
    time = format_skeleton("Hm", local, tzinfo=CHINA_TZ, locale=locale)
    return str(locale.datetime_formats["medium"]).format(time, day)


@cache
def _plural_forms(lang: str) -> list[str]:
    """The plural categories of `lang`, in the order of a catalog's msgstr[i]."""
    tags = locale_of(lang).plural_form.tags
    return [tag for tag in PLURAL_ORDER if tag in tags or tag == "other"]


def _plural_index(lang: str, count: float | Decimal) -> int:
    """Which msgstr of a plural message fits `count` as shown (one decimal): CLDR's rule."""
    shown = round(Decimal(str(count)), 1).normalize()
    return _plural_forms(lang).index(locale_of(lang).plural_form(shown))


def translate(lang: str, key: str, **values: Any) -> str:
    """The message `key` in `lang`, its `{placeholders}` filled, numbers formatted by Babel;
    a plural message takes the form its `count` needs."""
    message = catalog(lang)[key]
    if message is None:
        raise KeyError(key)
    forms = message.string or ""
    # a plural message has one msgstr per plural form of the language
    text = forms if isinstance(forms, str) else forms[_plural_index(lang, values["count"])]
    shown = {
        name: number(value, lang)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        else value
        for name, value in values.items()
    }
    return text.format(**shown) if shown else text


def _markup(lang: str, key: str, values: dict[str, Any]) -> Markup:
    """A message for a template: the catalog's text trusted, the values escaped (as Jinja2's
    own new-style gettext does), so a value that is already markup is not escaped twice."""
    escaped = {name: escape(v) if isinstance(v, str) else v for name, v in values.items()}
    return Markup(translate(lang, key, **escaped))


def gettext(lang: str) -> Callable[..., Markup]:
    """`t()` of a page in `lang`, also Jinja2's i18n `gettext` (values as keywords)."""
    return lambda key, **values: _markup(lang, key, values)


def ngettext(lang: str) -> Callable[..., Markup]:
    """Jinja2's i18n `ngettext` of a page in `lang` (`{% trans count=n %}`): the singular
    msgid is the key, `num` the count."""
    return lambda key, _plural, num, **values: _markup(lang, key, {"count": num, **values})


def both(key: str, **values: Any) -> Text:
    """The message `key` in both languages (for text built in Python, e.g. the notice)."""
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
