"""The notice PDF: tagged for assistive technology (PDF/UA-1), and its item table starts on the
first page, long rows splitting across pages instead of leaving page 1 empty."""

import io

import pytest
from pypdf import PdfReader

from catalog.loader import get_catalog
from runtime.settings import Settings
from web.notice import build_notice, notice_pdf_bytes


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_notice_pdf_is_tagged_and_fills_its_first_page(lang: str) -> None:
    catalog = get_catalog(Settings().catalog_dir)
    scenario = catalog.scenario("newborn")
    pdf = PdfReader(io.BytesIO(notice_pdf_bytes(catalog, "newborn", scenario.version, lang)))
    root = pdf.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    pages = [page.extract_text() for page in pdf.pages]
    first_row = getattr(build_notice(catalog, scenario).items[0].item.name, lang)
    # the item table begins on page 1, which holds at least half as much text as a full page
    assert len(pages) > 1
    assert len(pages[0]) >= 0.5 * max(len(text) for text in pages[1:])
    assert "".join(first_row.split()) in "".join(pages[0].split())
