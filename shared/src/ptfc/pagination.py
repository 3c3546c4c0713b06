"""Cursor pagination shared by every list: `?limit=&cursor=`, newest records never shift a page."""

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

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


def holds(doc: dict, equal: dict[str, Any]) -> bool:
    """Whether `doc` has each of these values, as a MongoDB equality would (an array holds its elements)."""
    found = ((doc.get(k), v) for k, v in equal.items())
    return all(have == want or (isinstance(have, list) and want in have) for have, want in found)


async def page_reading_on(
    collection: Any, served: dict[str, Any], keep: Callable[[dict], bool], paging: PageParams, batch: int = 200
) -> list[dict]:
    """One page in `_id` order of the documents matching `served` that `keep` keeps. `served` is
    what one index holds (its fields, then `_id`); the rest of a list's filter is `keep`, checked
    here, reading on past what it drops until the page is full. The embedded store plans a query
    naming fields no one index holds as a scan of every document, whatever the other fields."""
    found: list[dict] = []
    after = paging.after
    while True:
        query = served | ({"_id": {"$gt": after}} if after else {})
        rows = await collection.find(query).sort("_id", 1).limit(batch).to_list()
        for row in rows:
            if keep(row):
                found.append(row)
                if len(found) == paging.limit:
                    return found
        if len(rows) < batch:
            return found
        after = rows[-1]["_id"]
