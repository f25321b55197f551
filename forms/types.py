"""Annotated field types of the dictionary, validated with python-stdnum where it applies."""

import unicodedata
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from catalog.calendar import CHINA_TZ
from forms.divisions import counties, county_level

EARLIEST_BIRTH = date(1900, 1, 1)
# Control characters (Cc), lone surrogates (Cs) and the line and paragraph separators.
_REFUSED = {"Cc", "Cs", "Zl", "Zp"}
_LINE_BREAKS = "\r\n\u2028\u2029"

# What the OpenAPI says of a multi-line text (forms.types.MultiLine refuses the rest): no
# control character but tab and line breaks, no line or paragraph separator.
MULTI_LINE_PATTERN = (
    "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
)
# A name on one line (user names): no control character at all.
ONE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$"


def today() -> date:
    """Today in China, the day every "not in the future" is measured against."""
    return datetime.now(CHINA_TZ).date()


def _plain(value: str, allowed: str) -> str:
    for char in value:
        if char not in allowed and unicodedata.category(char) in _REFUSED:
            if char in _LINE_BREAKS and "\n" not in allowed:
                raise PydanticCustomError("line_break", "line breaks are not allowed here")
            raise PydanticCustomError(
                "control_character", "control character {char}", {"char": f"U+{ord(char):04X}"}
            )
    return value


def _single_line(value: str) -> str:
    """One line of plain text: no control character, tab or line break."""
    return _plain(value, "")


def _multi_line(value: str) -> str:
    """Lines of plain text: line breaks (CRLF as a browser sends them, made LF) and tabs."""
    return _plain(value.replace("\r\n", "\n").replace("\r", "\n"), "\n\t")


def birth_date_of(number: str) -> date:
    """The birth date inside a valid resident ID number."""
    return ric.get_birth_date(number)


def _check_birth_date(number: str) -> None:
    """Refuse an ID number whose birth date is not a date, is in the future or before 1900."""
    try:
        born = ric.get_birth_date(number)
    except (InvalidComponent, ValueError):
        raise PydanticCustomError("resident_id_birth_date", "birth date is invalid") from None
    if born > today():
        raise PydanticCustomError("resident_id_birth_future", "birth date is in the future")
    if born < EARLIEST_BIRTH:
        raise PydanticCustomError("resident_id_birth_too_early", "birth date is before 1900")


def _resident_id(value: str) -> str:
    try:
        number = ric.validate(value)
    except InvalidChecksum:
        raise PydanticCustomError("resident_id_checksum", "check digit is wrong") from None
    except InvalidComponent:
        _check_birth_date(value)  # a bad birth date is named before the place it invalidates
        raise PydanticCustomError("resident_id_birth_place", "unknown birth place") from None
    except ValidationError:
        raise PydanticCustomError("resident_id_format", "not an 18-character ID") from None
    _check_birth_date(number)
    return number


def _credit_code(value: str) -> str:
    try:
        return uscc.validate(value)
    except InvalidChecksum:
        raise PydanticCustomError("credit_code_checksum", "check character is wrong") from None
    except ValidationError:
        raise PydanticCustomError("credit_code_format", "not an 18-character credit code") from None


def _phone(value: str) -> str:
    if not (len(value) == 11 and value.isdigit() and value.startswith("1")):
        raise PydanticCustomError("phone_format", "not an 11-digit mobile number")
    return value


def _division(value: str) -> str:
    """A current county-level code of GB/T 2260 (forms/divisions.py)."""
    if len(value) == 6 and value.isdigit() and not county_level(value):
        raise PydanticCustomError("division_not_county", "not a county-level code")
    county = counties().get(value)
    if county is None:
        raise PydanticCustomError("division_unknown", "not a GB/T 2260 county code")
    if not county.current:
        raise PydanticCustomError(
            "division_abolished", "code abolished after {until}", {"until": county.until}
        )
    return value


def _bank_account(value: str) -> str:
    if not (value.isdigit() and 12 <= len(value) <= 19 and luhn.is_valid(value)):
        raise PydanticCustomError("bank_account_invalid", "not a valid bank card number")
    return value


def _not_in_future(value: date) -> date:
    if value > today():
        raise PydanticCustomError("date_in_future", "date is in the future")
    return value


SingleLine = Annotated[str, AfterValidator(_single_line)]
MultiLine = Annotated[str, AfterValidator(_multi_line)]
ResidentId = Annotated[str, Field(min_length=1), AfterValidator(_resident_id)]
CreditCode = Annotated[str, AfterValidator(_credit_code)]
Phone = Annotated[str, AfterValidator(_phone)]
Division = Annotated[str, AfterValidator(_division)]
BankAccount = Annotated[str, AfterValidator(_bank_account)]
PastDate = Annotated[date, AfterValidator(_not_in_future)]
