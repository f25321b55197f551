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

from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi import Request

from catalog.calendar import CHINA_TZ
from domain.text import Text

LANGS = ("zh", "en")
LANG_COOKIE = "onego_lang"
LOCALES = {"zh": "zh_CN", "en": "en"}  # a page's language -> its Babel locale and catalog
LOCALE_DIR = Path(__file__).parent / "locale"
# The numbers of the pages: counts, and working days to one decimal ("2.5", "3").
NUMBER_FORMAT = "#,##0.#"
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
    return format_decimal(value, format=NUMBER_FORMAT, locale=locale_of(lang))


def days(value: float | None, lang: str = "zh") -> str:
    """Working days with one decimal, without a trailing .0 ("—" when unknown)."""
    return "—" if value is None else number(value, lang)


def local_time(value: datetime | None, with_time: bool = True, lang: str = "zh") -> str:
    """A timestamp in China time (the service's calendar), as `lang` writes a date and a
    24-hour time: "2026年12月7日 20:24", "Dec 7, 2026, 20:24"."""
    if value is None:
        return "—"
    local, locale = value.astimezone(CHINA_TZ), locale_of(lang)
    day = format_date(local, "medium", locale=locale)
    if not with_time:
        return day
    time = format_skeleton("Hm", local, tzinfo=CHINA_TZ, locale=locale)
    return str(locale.datetime_formats["medium"]).format(time, day)


def _plural_index(lang: str, count: float | Decimal) -> int:
    """Which msgstr of a plural message fits `count`, as shown (one decimal): CLDR's rule."""
    shown = Decimal(number(count, "en").replace(",", ""))
    rule = locale_of(lang).plural_form
    forms = [tag for tag in PLURAL_ORDER if tag in rule.tags or tag == "other"]
    return forms.index(rule(shown))


def translate(lang: str, key: str, **values: Any) -> str:
    """The message `key` in `lang`, its `{placeholders}` filled, numbers formatted by Babel;
    a plural message takes the form its `count` needs."""
    message = catalog(lang)[key]
    if message is None:
        raise KeyError(key)
    text = message.string
    if message.pluralizable:
        text = text[_plural_index(lang, values["count"])]
    shown = {
        name: number(value, lang)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        else value
        for name, value in values.items()
    }
    return text.format(**shown) if shown else text


def gettext(lang: str) -> Any:
    """`t()` of a page in `lang`: Jinja2's i18n `gettext` (new style, values as keywords)."""
    return lambda key, **values: translate(lang, key, **values)


def ngettext(lang: str) -> Any:
    """Jinja2's i18n `ngettext` of a page in `lang` (`{% trans count=n %}`): the singular
    msgid is the key; `num` is the count."""
    return lambda key, _plural, num, **values: translate(lang, key, **{"count": num, **values})


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
