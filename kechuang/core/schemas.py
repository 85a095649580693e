"""Schema pieces every app's API shares."""

from ninja import Schema
from pydantic import field_validator


class Input(Schema):
    """Input strings may not carry NUL characters (PostgreSQL cannot store them)."""

    @field_validator("*", mode="before")
    @classmethod
    def no_nul(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL character not allowed")
        return value
