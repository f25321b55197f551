"""Bilingual validation messages: what is wrong and how to fix it, zh-CN first."""

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from domain.text import Text

# error type -> (what is wrong, how to fix it)
MESSAGES: dict[str, tuple[Text, Text]] = {
    "missing": (
        Text(zh="必填项未填写", en="This field is required"),
        Text(zh="请填写此项", en="Fill in this field"),
    ),
    "extra_forbidden": (
        Text(zh="表单中没有此项", en="This field is not part of the form"),
        Text(
            zh="请删除此项，表单字段见 GET /api/v1/scenarios/<一件事编码>/form",
            en="Remove it; the form's fields are listed by GET /api/v1/scenarios/<scenario>/form",
        ),
    ),
    "resident_id_checksum": (
        Text(zh="公民身份号码校验位错误", en="The resident ID number's check digit is wrong"),
        Text(
            zh="请核对身份证上的18位号码，最后一位可能为X",
            en="Copy all 18 characters from the ID card; the last may be X",
        ),
    ),
    "resident_id_birth_date": (
        Text(
            zh="公民身份号码中的出生日期无效", en="The birth date inside the resident ID is invalid"
        ),
        Text(
            zh="第7至14位应为有效的出生日期（YYYYMMDD）",
            en="Characters 7-14 must be a real birth date (YYYYMMDD)",
        ),
    ),
    "resident_id_birth_future": (
        Text(
            zh="公民身份号码中的出生日期晚于今天",
            en="The birth date inside the resident ID is in the future",
        ),
        Text(
            zh="请核对第7至14位出生日期（YYYYMMDD）",
            en="Check characters 7-14, the birth date (YYYYMMDD)",
        ),
    ),
    "resident_id_birth_too_early": (
        Text(
            zh="公民身份号码中的出生日期早于1900年",
            en="The birth date inside the resident ID is before 1900",
        ),
        Text(
            zh="请核对第7至10位出生年份",
            en="Check characters 7-10, the year of birth",
        ),
    ),
    "resident_id_birth_place": (
        Text(zh="公民身份号码前6位地区码无效", en="The region code in the resident ID is unknown"),
        Text(zh="请核对前6位行政区划代码", en="Check the first 6 digits (the region code)"),
    ),
    "resident_id_format": (
        Text(zh="公民身份号码格式错误", en="Not a resident ID number"),
        Text(zh="请填写18位居民身份证号码", en="Enter the 18-character resident ID number"),
    ),
    "credit_code_checksum": (
        Text(zh="统一社会信用代码校验位错误", en="The credit code's check character is wrong"),
        Text(
            zh="请核对营业执照上的18位统一社会信用代码",
            en="Copy the 18-character unified social credit code from the business licence",
        ),
    ),
    "credit_code_format": (
        Text(zh="统一社会信用代码格式错误", en="Not a unified social credit code"),
        Text(
            zh="请填写18位统一社会信用代码（数字与大写字母）",
            en="Enter the 18-character code (digits and capital letters)",
        ),
    ),
    "bool_parsing": (
        Text(zh="请选择是或否", en="Answer yes or no"),
        Text(zh="填写 true 或 false", en="Use true or false"),
    ),
    "decimal_parsing": (
        Text(zh="金额格式错误", en="Not an amount"),
        Text(zh="请填写数字，如 1200.50", en="Enter a number such as 1200.50"),
    ),
    "phone_format": (
        Text(zh="手机号码格式错误", en="Not a mobile phone number"),
        Text(zh="请填写以1开头的11位手机号码", en="Enter an 11-digit number starting with 1"),
    ),
    "division_unknown": (
        Text(zh="行政区划代码不存在", en="Unknown administrative division code"),
        Text(
            zh="请填写GB/T 2260六位县级代码，如500103",
            en="Enter a 6-digit GB/T 2260 county code such as 500103",
        ),
    ),
    "division_not_county": (
        Text(
            zh="这是省级或地市级代码，不是县级行政区划代码",
            en="This is a province or prefecture code, not a county-level code",
        ),
        Text(
            zh="请填写县、区或县级市的六位代码（末两位不为00），如500103",
            en="Enter the 6-digit code of the county or district (not ending in 00), e.g. 500103",
        ),
    ),
    "division_abolished": (
        Text(zh="该行政区划代码已撤销", en="This division code has been abolished"),
        Text(
            zh="该代码使用至{until}年，请填写现行的县级代码",
            en="The code was in use until {until}; enter the current county-level code",
        ),
    ),
    "control_character": (
        Text(zh="含有不可见的控制字符", en="Contains an invisible control character"),
        Text(
            zh="请删除其中的控制字符{char}（常由其他文档粘贴带入）后重新填写",
            en="Remove the control character {char} (often pasted from another document)",
        ),
    ),
    "string_unicode": (
        Text(zh="含有无效的字符", en="Contains an invalid character"),
        Text(
            zh="请删除无法显示的字符后重新填写",
            en="Remove the characters that are not valid text and enter it again",
        ),
    ),
    "line_break": (
        Text(zh="此项只能填写一行，不能换行", en="This field takes one line, without line breaks"),
        Text(zh="请删除换行，写在同一行内", en="Remove the line breaks and write it on one line"),
    ),
    "bank_account_invalid": (
        Text(zh="银行卡号无效", en="Not a valid bank card number"),
        Text(zh="请核对银行卡正面的12至19位卡号", en="Copy the 12-19 digits on the card's face"),
    ),
    "date_out_of_range": (
        Text(zh="日期超出可查询的范围", en="The date is out of the range queries accept"),
        Text(
            zh="请填写 {first} 至 {last} 之间的日期",
            en="Enter a date between {first} and {last}",
        ),
    ),
    "date_in_future": (
        Text(zh="日期不能晚于今天", en="The date is in the future"),
        Text(zh="请填写今天或更早的日期", en="Enter today or an earlier date"),
    ),
    "date_from_datetime_parsing": (
        Text(zh="日期格式错误", en="Not a date"),
        Text(zh="请按YYYY-MM-DD填写，如2026-11-20", en="Use YYYY-MM-DD, e.g. 2026-11-20"),
    ),
    "enum": (
        Text(zh="不是可选的值", en="Not one of the allowed values"),
        Text(zh="请从可选项中选择：{expected}", en="Choose one of: {expected}"),
    ),
    "string_too_long": (
        Text(zh="内容过长", en="Too long"),
        Text(zh="最多{max_length}个字符", en="At most {max_length} characters"),
    ),
    "string_too_short": (
        Text(zh="内容不能为空", en="Must not be empty"),
        Text(zh="请填写此项", en="Fill in this field"),
    ),
    "greater_than_equal": (
        Text(zh="数值过小", en="Too small"),
        Text(zh="不能小于{ge}", en="At least {ge}"),
    ),
    "less_than_equal": (
        Text(zh="数值过大", en="Too large"),
        Text(zh="不能大于{le}", en="At most {le}"),
    ),
    "int_parsing": (
        Text(zh="不是整数", en="Not a whole number"),
        Text(zh="请填写整数，如 3250", en="Enter a whole number such as 3250"),
    ),
}
GENERIC = (
    Text(zh="填写的值无效", en="Invalid value"),
    Text(zh="请按字段说明修改", en="Correct it as the field's help text describes"),
)
TYPE_ALIASES = {
    "date_parsing": "date_from_datetime_parsing",
    "date_type": "date_from_datetime_parsing",
    "literal_error": "enum",
    "string_type": "string_type",
}


class Problem(BaseModel):
    """One located problem with a request, in both languages."""

    loc: str
    code: str
    message: Text
    fix: Text


def _format(text: Text, context: dict[str, Any]) -> Text:
    try:
        return Text(zh=text.zh.format(**context), en=text.en.format(**context))
    except (KeyError, IndexError):
        return text


def problems_from(errors: Sequence[Any], prefix: str | None = "form") -> list[Problem]:
    """Turn pydantic (or FastAPI request) validation errors into bilingual, located problems."""
    problems = []
    for err in errors:
        code = TYPE_ALIASES.get(err["type"], err["type"])
        message, fix = MESSAGES.get(code, GENERIC)
        if (message, fix) == GENERIC:
            message = Text(zh=GENERIC[0].zh, en=f"Invalid value: {err['msg']}")
        loc = ".".join([*([prefix] if prefix else []), *(str(p) for p in err["loc"])])
        problems.append(
            Problem(
                loc=loc, code=code, message=message, fix=_format(fix, dict(err.get("ctx") or {}))
            )
        )
    return problems
