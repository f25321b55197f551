"""What the scrubber (observability/telemetry.redact) hides, and what it keeps: a workflow's
id stays whole even when its UUID ends in twelve digits (it then looked like an ID number, and
the case's spans and log lines lost the id that finds them)."""

from observability.telemetry import redact

RESIDENT_ID = "500103199803071229"
DIGIT_TAIL = "case-1f0e2d3c-4b5a-4698-8776-123456789012"  # a UUID whose last group is digits


def test_a_uuid_ending_in_digits_is_kept_whole() -> None:
    assert redact(f"workflow {DIGIT_TAIL} completed") == f"workflow {DIGIT_TAIL} completed"
    run = "01a2533d-2d8d-7b3a-b100-920340616209"
    assert redact(f"run_id={run}") == f"run_id={run}"


def test_personal_data_beside_a_uuid_is_still_hidden() -> None:
    text = f"{DIGIT_TAIL} {RESIDENT_ID},{DIGIT_TAIL}:13912345678 a@b.cn"
    assert redact(text) == f"{DIGIT_TAIL} [number],{DIGIT_TAIL}:[number] [email]"


def test_a_uuid_does_not_shield_the_passage_around_it() -> None:
    quoted = f"input_value='{DIGIT_TAIL} 张三 {RESIDENT_ID}' for field"
    assert redact(quoted) == "input_value=[redacted] for field"


def test_digits_that_only_look_like_a_uuid_are_hidden() -> None:
    # not a UUID: more digits after its last group
    assert redact(f"{DIGIT_TAIL}4444") == "case-1f0e2d3c-4b5a-4698-8776-[number]"
