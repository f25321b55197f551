"""The catalog as typed data: departments, the field dictionary, materials, items, scenarios.

These models are pure (pydantic only) so workflows can import them; a scenario version is
passed to its workflow whole, which is how a running case keeps the version it started with.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.text import Text


class Source(BaseModel):
    """Where a catalog fact comes from; `illustrative` when it is our own assumption."""

    citation: str = ""
    url: str = ""
    illustrative: bool = False


class Department(BaseModel):
    code: str
    name: Text
    source: Source = Source(illustrative=True)


class Registry(BaseModel):
    """A shared registry (共享库) holding records keyed by a resident ID or credit code."""

    code: str
    name: Text
    keyed_by: str = Field(pattern="^(resident_id|credit_code)$")
    source: Source = Source(illustrative=True)


class Section(BaseModel):
    """A section of unified forms (fields name theirs); order of the file is display order."""

    code: str
    label: Text


class FieldType(StrEnum):
    string = "string"
    date = "date"
    enum = "enum"
    boolean = "boolean"
    resident_id = "resident_id"
    credit_code = "credit_code"
    phone = "phone"
    division = "division"
    bank_account = "bank_account"
    integer = "integer"
    money = "money"


class Prefill(BaseModel):
    """Where a shared registry holds a field's value for the applicant (once-only)."""

    registry: str
    attribute: str


class PiiClass(StrEnum):
    none = "none"
    personal = "personal"
    sensitive = "sensitive"


class FieldDef(BaseModel):
    """One entry of the field dictionary: defined once, referenced by items."""

    code: str
    type: FieldType
    label: Text
    help: Text | None = None
    section: str = "applicant"
    pii: PiiClass = PiiClass.none
    options: dict[str, Text] = Field(default_factory=dict, description="For enum fields.")
    max_length: int = 100
    multiline: bool = Field(
        False, description="For string fields: several lines (a text area); else one line."
    )
    min: int | None = None
    max: int | None = None
    not_in_future: bool = False
    example: str | int | bool | float
    prefill: Prefill | None = Field(None, description="Shared registry that can prefill it.")
    source: Source = Source(illustrative=True)


class MaterialForm(StrEnum):
    original = "original"
    copy = "copy"
    e_licence = "e_licence"


class Material(BaseModel):
    """A document an item needs; `supplied_by_output` names the item output that replaces it."""

    code: str
    name: Text
    form: MaterialForm = MaterialForm.original
    supplied_by_output: str | None = None
    registry: str | None = Field(
        None, description="Shared registry (or e-licence library) that holds it for the applicant."
    )
    never_asked: bool = Field(
        False, description="Promised never to be asked: a registry or an output must supply it."
    )
    source: Source = Source(illustrative=True)


class ReviewMode(StrEnum):
    automatic = "automatic"
    reviewed = "reviewed"


class OutputFormat(StrEnum):
    certificate = "certificate"
    resident_id = "resident_id"
    receipt = "receipt"


class OutputHolder(StrEnum):
    """Whom an output is made out to: the applicant, or the case's subject (subjects.yaml: the
    baby, the firm), which is the applicant in a scenario that names no subject."""

    applicant = "applicant"
    subject = "subject"


class OutputDef(BaseModel):
    code: str
    label: Text
    format: OutputFormat = OutputFormat.certificate
    holder: OutputHolder = OutputHolder.applicant
    prefix: str = ""
    derive_from: dict[str, str] = Field(
        default_factory=dict,
        description="For resident_id outputs: the form fields giving division, birth_date, sex.",
    )


class Item(BaseModel):
    """One administrative service (事项) owned by one department."""

    code: str
    name: Text
    department: str
    activity: str = Field(description="Name of the department activity that performs it.")
    mode: ReviewMode = ReviewMode.automatic
    fields: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    uses_outputs: list[str] = Field(default_factory=list)
    outputs: list[OutputDef] = Field(default_factory=list)
    legal_days: int = Field(ge=0, description="Legal time limit in working days.")
    promised_days: int = Field(ge=0, description="Promised time limit in working days.")
    visit_overhead_days: float = Field(
        1.0, ge=0, description="Applicant's own trip and queueing time when applied for alone."
    )
    fee_yuan: float = 0.0
    compensation: str | None = Field(
        None, description="Department activity that undoes the item when its case stops."
    )
    source: Source = Source(illustrative=True)


class Condition(BaseModel):
    """When a conditional item applies: a form field equals a value or is one of several."""

    field: str
    equals: str | bool | int | None = None
    one_of: list[str] = Field(default_factory=list)

    def holds(self, form: dict[str, object]) -> bool:
        value = form.get(self.field)
        if self.one_of:
            return value in self.one_of
        if self.equals is None:
            return value not in (None, "", False)
        return value == self.equals


class OnReject(StrEnum):
    """What a rejection of this item does to the case."""

    stop = "stop"  # the case stops; done items with a compensation are undone
    continue_ = "continue"  # items that need this one are cancelled; independent ones go on


class ScenarioItem(BaseModel):
    """An item inside a scenario with the items it must wait for (beyond its data needs)."""

    item: str
    after: list[str] = Field(default_factory=list)
    when: Condition | None = Field(None, description="Applies only if this holds (conditional).")
    on_reject: OnReject = OnReject.stop


class ReviewPolicy(BaseModel):
    """How reviews are run: SLA reminder share, supplement deadline, rejection reasons."""

    reminder_share: float = Field(0.8, gt=0, lt=1)
    supplement_days: float = Field(10, gt=0, description="Working days to answer a 补正.")
    reject_reasons: dict[str, Text] = Field(default_factory=dict)


class Audience(StrEnum):
    individual = "individual"
    business = "business"


class RuleKind(StrEnum):
    """Cross-field rules of a scenario's form (a resident ID field stands for its birth date)."""

    before = "before"  # fields [a, b]: a's date is before b's
    not_future = "not_future"  # fields [a]: a's date is today or earlier
    different = "different"  # fields [a, b]: a and b are not equal


RULE_ARITY = {RuleKind.before: 2, RuleKind.not_future: 1, RuleKind.different: 2}


class Rule(BaseModel):
    """One cross-field rule; its problem is located at the last field it names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RuleKind
    fields: tuple[str, ...] = Field(min_length=1, max_length=2)


class Scenario(BaseModel):
    """A versioned bundle of items behind one form (一件事)."""

    code: str
    version: int = 1
    name: Text
    description: Text
    lead_department: str
    audience: Audience = Audience.individual
    stage: Text = Field(description="Life-cycle stage, e.g. 出生 / birth, 准入准营 / market entry.")
    eligibility: list[Text] = Field(default_factory=list)
    items: list[ScenarioItem]
    rules: list[Rule] = Field(default_factory=list, description="Cross-field rules of the form.")
    applicant_is: list[str] = Field(
        default_factory=list,
        description="Resident ID fields one of which must be the applicant's own, when the "
        "applicant's account carries a verified resident ID number.",
    )
    source: Source = Source(illustrative=True)


class ResolvedItem(Item):
    """An item as one scenario version runs it: dependencies and task queue resolved (the
    default queue here; `cases.submission.start_workflow` routes it to the deployment's)."""

    requires: list[str] = Field(default_factory=list)
    task_queue: str
    department_name: Text
    when: Condition | None = None
    on_reject: OnReject = OnReject.stop


class ScenarioSpec(BaseModel):
    """Everything a case needs of its scenario version, frozen at submission."""

    code: str
    version: int
    name: Text
    items: list[ResolvedItem]

    def item(self, code: str) -> ResolvedItem:
        return next(i for i in self.items if i.code == code)

    def applicable(self, form: dict[str, object]) -> "ScenarioSpec":
        """The items this form's answers make applicable (conditional items filtered)."""
        items = [i for i in self.items if i.when is None or i.when.holds(form)]
        return self.model_copy(update={"items": items})
