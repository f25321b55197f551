"""axe-core in the browser tests: `assert_accessible(page)` fails on any serious or critical
violation of the page as it stands, listing each rule, its help and the offending elements.

axe.min.js (MPL-2.0) is fetched into the venv by `make axe` (part of `make test`); it is
evaluated through Playwright, outside the page's Content-Security-Policy, which forbids inline
and foreign scripts."""

import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

AXE = Path(sys.prefix) / "axe.min.js"
BLOCKING = {"serious", "critical"}


@cache
def _source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make axe` (or `make test`, which fetches it)")
    return AXE.read_text(encoding="utf-8")


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation, then its elements (CSS selectors), for the failure message."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.extend(f"    {' '.join(node['target'])}" for node in violation["nodes"][:8])
    return "\n".join(lines)


# axe only asks for a review when some of an attribute's ids are missing: a violation here.
BROKEN_REFERENCES = """() => {
  const nodes = [];
  for (const el of document.querySelectorAll(
      '[aria-describedby], [aria-labelledby], [aria-controls], [aria-errormessage]')) {
    for (const name of ['aria-describedby', 'aria-labelledby', 'aria-controls',
                        'aria-errormessage']) {
      const missing = (el.getAttribute(name) || '').split(/\\s+/)
        .filter((id) => id && !document.getElementById(id));
      if (missing.length) nodes.push({target: [`#${el.id || el.tagName} ${name}=${missing}`]});
    }
  }
  return nodes;
}"""


async def violations_of(page: Page) -> list[dict[str, Any]]:
    """axe's serious and critical violations of the page, and ARIA references to no element."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(_source())
    found: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    violations = [violation for violation in found if violation["impact"] in BLOCKING]
    if broken := await page.evaluate(BROKEN_REFERENCES):
        help_ = "ARIA attributes must reference elements of the page"
        violations.append(
            {"id": "broken-idref", "impact": "serious", "help": help_, "nodes": broken}
        )
    return violations


async def assert_accessible(page: Page) -> None:
    found = await violations_of(page)
    assert not found, f"axe on {page.url}:\n{describe(found)}"
