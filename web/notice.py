"""The notice (一次告知): every item, department, condition, material, fee and time limit of
one scenario, as a page and as a PDF (weasyprint, Noto Sans CJK for the Chinese)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from catalog.loader import Catalog
from catalog.models import Condition, FieldType, ResolvedItem, Scenario, ScenarioSpec
from catalog.reform import ReformFigures, material_sources, reform_figures
from domain.text import Text
from routers.deps import CatalogDep, CookieUser
from web.common import HERE, not_found, render, render_text
from web.i18n import LANGS, lang_of, translate

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class MaterialLine:
    """One material and where it comes from: the applicant, a registry or another item."""

    code: str
    name: Text
    form: str
    source: str  # "asked" | "registry" | "output"
    via: Text | None = None


@dataclass(frozen=True)
class NoticeItem:
    item: ResolvedItem
    condition: Text | None
    after: list[Text]
    materials: list[MaterialLine]


@dataclass(frozen=True)
class Notice:
    scenario: Scenario
    spec: ScenarioSpec
    items: list[NoticeItem]
    asked: list[MaterialLine]
    fetched: list[MaterialLine]
    supplied: list[MaterialLine]
    figures: ReformFigures
    generated_at: datetime


def _value_label(catalog: Catalog, field: str, value: object, lang: str) -> str:
    definition = catalog.fields[field]
    if definition.type is FieldType.boolean:
        return translate(lang, "form.yes") if value else translate(lang, "form.no")
    option = definition.options.get(str(value))
    return getattr(option, lang) if option else str(value)


def condition_text(catalog: Catalog, when: Condition) -> Text:
    """When a conditional item applies, in words (field label and answer labels)."""
    texts = {}
    for lang in LANGS:
        label = getattr(catalog.fields[when.field].label, lang)
        if when.one_of:
            values = translate(lang, "ui.list_sep").join(
                f"“{_value_label(catalog, when.field, v, lang)}”" for v in when.one_of
            )
            texts[lang] = translate(lang, "notice.when_one_of", label=label, values=values)
        elif when.equals is None:
            texts[lang] = translate(lang, "notice.when_answered", label=label)
        else:
            value = _value_label(catalog, when.field, when.equals, lang)
            texts[lang] = translate(lang, "notice.when_equals", label=label, value=value)
    return Text(**texts)


def build_notice(catalog: Catalog, scenario: Scenario) -> Notice:
    """The notice's content, from the catalog alone (the same sources as the reform figures)."""
    spec = catalog.spec(scenario.code, scenario.version)
    assert spec is not None
    sources = material_sources(catalog, spec)
    producers = {out.code: item for item in spec.items for out in item.outputs}
    names = {item.code: item.name for item in spec.items}

    def line(code: str) -> MaterialLine:
        material = catalog.materials[code]
        name, form = material.name, material.form.value
        if code not in sources:
            producer = producers[material.supplied_by_output or ""]
            return MaterialLine(code, name, form, source="output", via=producer.name)
        if registry := sources[code]:
            via = catalog.registries[registry].name
            return MaterialLine(code, name, form, source="registry", via=via)
        return MaterialLine(code, name, form, source="asked")

    items = [
        NoticeItem(
            item=item,
            condition=condition_text(catalog, item.when) if item.when else None,
            after=[names[r] for r in item.requires],
            materials=[line(m) for m in item.materials],
        )
        for item in spec.items
    ]
    distinct = [line(m) for m in dict.fromkeys(m for item in spec.items for m in item.materials)]
    return Notice(
        scenario=scenario,
        spec=spec,
        items=items,
        asked=[m for m in distinct if m.source == "asked"],
        fetched=[m for m in distinct if m.source == "registry"],
        supplied=[m for m in distinct if m.source == "output"],
        figures=reform_figures(catalog, spec),
        generated_at=datetime.now(UTC),
    )


def _notice(catalog: Catalog, code: str) -> Notice:
    scenario = catalog.scenario(code)
    if scenario is None:
        raise not_found()
    return build_notice(catalog, scenario)


@router.get("/scenarios/{code}/notice")
def notice_page(code: str, request: Request, catalog: CatalogDep, user: CookieUser) -> Response:
    """The notice of one scenario as a page."""
    return render(request, "notice.html", {"notice": _notice(catalog, code)}, user=user)


@router.get("/scenarios/{code}/notice.pdf")
def notice_pdf(code: str, request: Request, catalog: CatalogDep) -> Response:
    """The same notice as a PDF, in the visitor's language."""
    scenario = catalog.scenario(code)
    if scenario is None:
        raise not_found()
    lang = lang_of(request)
    name = f"{getattr(scenario.name, lang)}-{translate(lang, 'notice.title')}.pdf"
    disposition = f"attachment; filename=\"notice-{code}.pdf\"; filename*=UTF-8''{quote(name)}"
    return Response(
        notice_pdf_bytes(catalog, scenario.code, scenario.version, lang),
        media_type="application/pdf",
        headers={"Content-Disposition": disposition},
    )


@lru_cache(maxsize=64)
def notice_pdf_bytes(catalog: Catalog, code: str, version: int, lang: str) -> bytes:
    """Render a notice once per catalog, scenario version and language (seconds of CPU)."""
    from weasyprint import HTML  # slow to import; only this page needs it

    scenario = catalog.scenario(code, version)
    assert scenario is not None
    html = render_text("notice_pdf.html", lang, {"notice": build_notice(catalog, scenario)})
    # tagged (PDF/UA-1): screen readers get the headings and tables; nothing is fetched
    return HTML(string=html, base_url=str(HERE / "static")).write_pdf(pdf_variant="pdf/ua-1")
