"""Annotated field types of the dictionary, validated with python-stdnum where it applies."""

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError
from stdnum import luhn, numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from catalog.calendar import CHINA_TZ


def _resident_id(value: str) -> str:
    try:
        return ric.validate(value)
    except InvalidChecksum:
        raise PydanticCustomError("resident_id_checksum", "check digit is wrong") from None
    except InvalidComponent:
        try:
            ric.get_birth_date(value)
        except InvalidComponent:
            raise PydanticCustomError("resident_id_birth_date", "birth date is invalid") from None
        raise PydanticCustomError("resident_id_birth_place", "unknown birth place") from None
    except ValidationError:
        raise PydanticCustomError("resident_id_format", "not an 18-character ID") from None


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
    parts = numdb.get("cn/loc").info(value) if len(value) == 6 and value.isdigit() else []
    if not (len(parts) == 2 and all(props for _, props in parts)):
        raise PydanticCustomError("division_unknown", "not a GB/T 2260 county code")
    return value


def _bank_account(value: str) -> str:
    if not (value.isdigit() and 12 <= len(value) <= 19 and luhn.is_valid(value)):
        raise PydanticCustomError("bank_account_invalid", "not a valid bank card number")
    return value


def _not_in_future(value: date) -> date:
    if value > datetime.now(CHINA_TZ).date():
        raise PydanticCustomError("date_in_future", "date is in the future")
    return value


ResidentId = Annotated[str, Field(min_length=1), AfterValidator(_resident_id)]
CreditCode = Annotated[str, AfterValidator(_credit_code)]
Phone = Annotated[str, AfterValidator(_phone)]
Division = Annotated[str, AfterValidator(_division)]
BankAccount = Annotated[str, AfterValidator(_bank_account)]
PastDate = Annotated[date, AfterValidator(_not_in_future)]
