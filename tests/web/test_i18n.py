"""The pages' languages: the gettext catalogs (web/locale) hold every key the pages use, in both
languages with the same placeholders; plurals, numbers and dates come from Babel; a page shows
its own language alone, workflow reasons ("中文 / English: detail") included."""

import re
import string
from datetime import UTC, datetime

import httpx
import pytest

from catalog.models import Audience, MaterialForm, ReviewMode
from domain.statuses import CaseStatus, EventKind, ItemStatus
from domain.text import Text, from_joined
from routers.deps import TOKEN_COOKIE
from security.sign_in import web_token
from store.models import Role
from store.notifications import messages_for
from tests.helpers import Api
from tests.web.conftest import Site
from web.common import HERE, in_language, templates
from web.i18n import LANGS, MESSAGES, catalog, local_time, pick, translate
from web.inbox import TABS
from workflows.models import Decision

# t("key", …), translate(lang, "key", …), both("key", …), and a table row ("key", …)
LITERAL_KEY = re.compile(
    r"""(?:\bt\(|translate\(\s*\w+,|both\(|^\s*\()\s*["']([a-z_]+\.[a-z_.]+)["']\s*[,)]""",
    re.MULTILINE,
)
COMPUTED = ("case_status.", "item_status.", "task_status.", "mode.", "audience.", "flash.")
# keys whose end is computed: "scenarios.for_<audience>", "material_form.<form>", a dashboard
# table's "dash.in_<unit>"
COMPUTED_ENDS = ("scenarios.for_", "material_form.", "dash.in_")


def _used_keys() -> set[str]:
    files = [*HERE.glob("templates/*.html"), *HERE.glob("*.py")]
    return {key for path in files for key in LITERAL_KEY.findall(path.read_text())}


def _keys(lang: str) -> set[str]:
    return {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog(lang)
        if message.id
    }


def _placeholders(texts: str | tuple[str, ...]) -> set[str]:
    forms = (texts,) if isinstance(texts, str) else texts
    return {name for text in forms for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_literal_key_exists_and_every_entry_is_used() -> None:
    used = _used_keys()
    assert len(used) > 100  # the pattern finds the keys
    assert sorted(used - _keys("zh")) == []
    computed = (*COMPUTED_ENDS, *COMPUTED)
    assert sorted(k for k in _keys("zh") - used if not k.startswith(computed)) == []


@pytest.mark.parametrize(
    "prefix, values",
    [
        ("case_status", [s.value for s in CaseStatus]),
        ("item_status", [s.value for s in ItemStatus]),
        ("task_status", [*TABS]),
        ("mode", [m.value for m in ReviewMode]),
        ("audience", [a.value for a in Audience]),
        ("scenarios.for", [a.value for a in Audience]),
        ("material_form", [f.value for f in MaterialForm]),
        ("flash", [d.value for d in Decision]),
    ],
)
def test_every_computed_key_exists(prefix: str, values: list[str]) -> None:
    missing = [f"{prefix}.{v}" if prefix != "scenarios.for" else f"{prefix}_{v}" for v in values]
    assert [key for key in missing if key not in catalog("zh")] == []


def test_both_catalogs_hold_the_same_keys_with_the_same_placeholders() -> None:
    assert _keys("zh") == _keys("en")
    for message in catalog("zh"):
        if not message.id:
            continue  # the header
        english = catalog("en")[message.id]
        assert message.string and english.string, message.id
        assert _placeholders(message.string) == _placeholders(english.string), message.id
        assert message.pluralizable == english.pluralizable, message.id
        if message.pluralizable:  # Chinese has one form, English two (CLDR)
            assert (len(message.string), len(english.string)) == (1, 2), message.id
            assert "count" in _placeholders(english.string), message.id


def test_keys_added_in_python_are_not_in_the_catalog_files_too() -> None:
    """`MESSAGES` (keys of a change under way) is merged into the catalogs: never a key twice."""
    from babel.messages.pofile import read_po

    for lang, locale in (("zh", "zh_CN"), ("en", "en")):
        with (HERE / "locale" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
            assert sorted(MESSAGES.keys() & {m.id for m in read_po(po) if m.id}) == [], lang


@pytest.mark.parametrize(
    "count, en, zh",
    [
        (1, "1 working day promised (5 by law)", "承诺 1 个工作日（法定 5 个工作日）"),
        (2, "2 working days promised (5 by law)", "承诺 2 个工作日（法定 5 个工作日）"),
        (0, "0 working days promised (5 by law)", "承诺 0 个工作日（法定 5 个工作日）"),
        (1.5, "1.5 working days promised (5 by law)", "承诺 1.5 个工作日（法定 5 个工作日）"),
        (1.0, "1 working day promised (5 by law)", "承诺 1 个工作日（法定 5 个工作日）"),
    ],
)
def test_plurals_in_both_languages(count: float, en: str, zh: str) -> None:
    assert translate("en", "notice.time_value", count=count, legal=5) == en
    assert translate("zh", "notice.time_value", count=count, legal=5) == zh


def test_a_plural_follows_the_number_as_shown() -> None:
    """0.96 working days are shown as "1": one working day, as it reads."""
    assert translate("en", "unit.working_days", count=0.96) == "1 working day"
    assert translate("en", "form.errors", count=1) == "1 problem to correct; nothing was submitted."
    assert translate("en", "form.errors", count=3).startswith("3 problems")


def test_numbers_and_dates_are_formatted_by_babel() -> None:
    assert translate("en", "notice.fee_value", fee=1234.5) == "CNY 1,234.5"
    assert translate("zh", "notice.fee_value", fee=80.0) == "80 元"
    at = datetime(2026, 12, 7, 12, 24, tzinfo=UTC)  # 20:24 in China
    assert local_time(at, lang="zh") == "2026年12月7日 20:24"
    assert local_time(at, lang="en") == "Dec 7, 2026, 20:24"
    assert local_time(at, with_time=False, lang="en") == "Dec 7, 2026"
    assert local_time("2026-12-07T17:00:00+00:00", False, "zh") == "2026年12月8日"


def test_jinja_i18n_reads_the_same_catalogs() -> None:
    """`_()`, `{% trans %}` and `t()` of a template, in the template's language."""
    source = (
        '{{ _("notice.title") }} · {% trans count=n %}unit.working_days{% pluralize %}'
        'unit.working_days{% endtrans %} · {{ t("notice.after", items=evil) }}'
    )
    english = templates.env.from_string(source).render(**in_language("en"), n=1, evil="<b>")
    assert english == "Notice of everything needed · 1 working day · After: &lt;b&gt;"
    chinese = templates.env.from_string(source).render(**in_language("zh"), n=2, evil="x")
    assert chinese == "一次告知书 · 2 个工作日 · 在以下事项办结后办理：x"


def test_a_workflow_reason_in_one_language() -> None:
    rejected = from_joined("出生登记 被驳回 / Birth registration rejected: 材料不全")
    assert rejected == Text(
        zh="出生登记 被驳回：材料不全", en="Birth registration rejected: 材料不全"
    )
    assert from_joined("逾期未补正 / not supplemented") == Text(
        zh="逾期未补正", en="not supplemented"
    )
    assert from_joined("材料不全") == Text(zh="材料不全", en="材料不全")
    expired = from_joined("出生登记 逾期未补正 / Birth registration: not supplemented in time")
    assert expired == Text(
        zh="出生登记 逾期未补正", en="Birth registration: not supplemented in time"
    )
    item = Text(zh="出生登记", en="Birth registration")
    [(_, undone)] = messages_for(
        EventKind.compensated, item, "申请人撤回 / withdrawn by the applicant: 改期"
    )
    assert undone == Text(
        zh="已撤销：出生登记（申请人撤回：改期）",
        en="Undone: Birth registration (withdrawn by the applicant: 改期)",
    )


def test_picking_a_language() -> None:
    assert pick({"zh": "中", "en": "en"}, "en") == "en"
    assert pick(Text(zh="该任务已由 a 领取", en="a holds this task"), "en") == "a holds this task"
    assert [translate(lang, "site.name") for lang in LANGS] == ["一件事一次办", "One thing, one go"]


def _visible(html: str) -> str:
    """The text a visitor reads: the main part, without tags, scripts or attributes."""
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


@pytest.mark.timeout(120)
async def test_a_case_page_shows_a_rejection_and_a_withdrawal_in_its_own_language(
    site: Site,
) -> None:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        api = Api(http, site.engine, site.settings, site.temporal)
        applicant = await api.account(Role.applicant)
        clerk = await api.account(Role.clerk, "public-security")
        rejected = (await api.submit(applicant)).json()["id"]
        withdrawn = (await api.submit(applicant)).json()["id"]

        await api.wait_for_review(applicant, rejected)
        task = await api.open_task(clerk, rejected)
        assert (await api.claim(clerk, task["id"])).status_code == 200
        decided = await api.decide(
            clerk, task["id"], "reject", "出生医学证明与户主信息不一致", "materials_inconsistent"
        )
        assert decided.status_code == 200, decided.text
        await api.wait_for_review(applicant, withdrawn)
        response = await http.post(
            f"/api/v1/cases/{withdrawn}/withdraw",
            json={"reason": "改为下月办理"},
            headers=applicant.headers,
        )
        assert response.status_code == 204, response.text
        await api.wait_case(applicant, rejected, lambda c: c["status"] == "rejected")
        await api.wait_case(
            applicant,
            withdrawn,
            lambda c: (
                c["status"] == "withdrawn" and any(i["status"] == "compensated" for i in c["items"])
            ),
        )

    cookie = {TOKEN_COOKIE: web_token(applicant.user, site.settings)}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookie, timeout=30) as browser:
        pages = {
            (case_id, lang): _visible((await browser.get(f"/cases/{case_id}?lang={lang}")).text)
            for case_id in (rejected, withdrawn)
            for lang in LANGS
        }

    zh, en = pages[rejected, "zh"], pages[rejected, "en"]
    assert "出生登记（户口登记） 被驳回：出生医学证明与户主信息不一致" in zh
    assert "Birth household registration" not in zh and "rejected" not in zh
    assert "Birth household registration rejected: 出生医学证明与户主信息不一致" in en
    assert "被驳回" not in en and "出生登记（户口登记）" not in en

    zh, en = pages[withdrawn, "zh"], pages[withdrawn, "en"]
    assert "申请人撤回：改为下月办理" in zh and "已撤销：" in zh  # the reason, the undone items
    assert "withdrawn by the applicant" not in zh and "Undone" not in zh
    assert "withdrawn by the applicant: 改为下月办理" in en and "Undone: " in en
    assert "申请人撤回" not in en and "已撤销" not in en
