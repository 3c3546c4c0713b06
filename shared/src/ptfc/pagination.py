"""Cursor pagination shared by every list: `?limit=&cursor=`, newest records never shift a page."""

from typing import Annotated, Generic, TypeVar

from bson import ObjectId
from bson.errors import InvalidId
from fastapi import Depends, Query
from pydantic import BaseModel

from ptfc.problems import Problem

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    after: ObjectId | None

    model_config = {"arbitrary_types_allowed": True}

    def filter(self) -> dict:
        return {"_id": {"$gt": self.after}} if self.after else {}

    def next_cursor(self, rows: list[dict]) -> str | None:
        return str(rows[-1]["_id"]) if len(rows) == self.limit else None


def page_params(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        # Documented as a pattern; checked below so a wrong cursor gets its own problem type.
        Query(max_length=24, json_schema_extra={"pattern": "^[0-9a-fA-F]{24}$"}),
    ] = None,
) -> PageParams:
    try:
        # An empty cursor is a wrong one too (the schema's pattern says so), not the first page.
        after = ObjectId(cursor) if cursor is not None else None
    except InvalidId as error:
        raise Problem(400, "invalid-cursor", "Invalid cursor", "Use the `next_cursor` of a previous page.") from error
    return PageParams(limit=limit, after=after)


Paging = Annotated[PageParams, Depends(page_params)]
