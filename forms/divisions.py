"""County-level divisions of GB/T 2260 (县级行政区划代码), all of China, from a repository file.

`forms/data/gbt2260_counties.tsv` lists every county-level code python-stdnum's
`stdnum/cn/loc.dat` knows (the GB/T 2260 codes with the years they were in use, which
stdnum.cn.ric checks birth places against), with its names and years. `python -m
forms.divisions` rewrites it from the installed python-stdnum; its header names the source,
the stdnum version and the date. Province-level (xx0000) and prefecture-level (xxxx00) codes
and the 市辖区 placeholders are not county-level and are not listed.
"""

import re
import sys
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.metadata import version
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "gbt2260_counties.tsv"
PLACEHOLDERS = {"市辖区", "县", "市", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_ENTRY = re.compile(r"^(?:\[(\d*)-(\d*)\])?(.+)$")


@dataclass(frozen=True)
class County:
    code: str
    province: str
    name: str
    since: int | None  # first year in use, None when before the source's records
    until: int | None  # last year in use, None while it is current

    @property
    def current(self) -> bool:
        return self.until is None


@cache
def counties() -> dict[str, County]:
    """Every county-level code of the file, current or abolished, by code."""
    found: dict[str, County] = {}
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        code, province, name, since, until = line.split("\t")
        found[code] = County(code, province, name, _year(since), _year(until))
    return found


def _year(text: str) -> int | None:
    return int(text) if text else None


def county_level(code: str) -> bool:
    """Whether a 6-digit code is at county level by its shape (not xx0000 nor xxxx00)."""
    return len(code) == 6 and code.isdigit() and not code.endswith("00")


# -- rewriting the file from python-stdnum ------------------------------------------------
def _from_stdnum() -> list[County]:
    """The county-level codes of stdnum's loc.dat, the latest name of each."""
    from stdnum import numdb  # only when rewriting the file

    path = Path(numdb.__file__).parent / "cn" / "loc.dat"
    result: list[County] = []
    province = ""
    prefix = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            prefix, _, value = line.partition(" ")
            province = value.split('"')[1]
            continue
        suffix, _, value = line.strip().partition(" ")
        code = prefix + suffix
        if not county_level(code):
            continue
        spans = [_ENTRY.match(part) for part in value.split('"')[1].split(",")]
        entries = [(m.group(1), m.group(2), m.group(3)) for m in spans if m]
        entries = [e for e in entries if e[2] not in PLACEHOLDERS]
        if not entries:
            continue
        open_ended = [e for e in entries if not e[1]]
        since, until, name = open_ended[-1] if open_ended else entries[-1]
        first = min((int(e[0]) for e in entries if e[0]), default=None)
        if open_ended and since:
            first = int(since) if first is None else min(first, int(since))
        result.append(County(code, province, name, first, int(until) if until else None))
    return result


def write_file(path: Path = DATA_FILE) -> int:
    """Rewrite the data file from the installed python-stdnum; returns the number of codes."""
    rows = _from_stdnum()
    header = [
        "# County-level division codes of GB/T 2260 (县级行政区划代码), all of China.",
        f"# Source: python-stdnum {version('python-stdnum')}, stdnum/cn/loc.dat (GB/T 2260 codes",
        "#   with their years of use, collected by stdnum from zh.wikipedia.org",
        "#   中华人民共和国行政区划代码 pages 1区-8区).",
        f"# Derived on {date.today().isoformat()} by `python -m forms.divisions`; not edited by",
        "#   hand.",
        "# Columns: code, province, county, first year in use (blank: earlier than the source's",
        "#   records), last year in use (blank: current).",
    ]
    lines = [
        "\t".join((c.code, c.province, c.name, str(c.since or ""), str(c.until or "")))
        for c in rows
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*header, *lines]) + "\n", encoding="utf-8")
    counties.cache_clear()
    return len(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_FILE
    print(f"{write_file(target)} county-level codes written to {target}")
