"""Bilingual text, the vocabulary's one way to say something to people: zh-CN first, English
too. Messages travel as `Text` up to the edge, where the API answers both languages and a page
picks the visitor's."""

from pydantic import BaseModel, ConfigDict


class Text(BaseModel):
    """A bilingual text: zh-CN first, English too."""

    model_config = ConfigDict(frozen=True)

    zh: str
    en: str
