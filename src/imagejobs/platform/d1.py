"""`Database` over a D1 binding (as wrapped by the vendored workers SDK, which returns Python
dicts/lists and None for null)."""

from collections.abc import Sequence
from typing import Any

from pyodide.ffi import JsException

from ..jobs.ports import DuplicateKey, Statement


class D1Database:
    def __init__(self, binding: Any):  # the SDK's wrapper of a D1Database
        self._db = binding

    def _statement(self, sql: str, params: tuple[Any, ...]) -> Any:
        statement = self._db.prepare(sql)
        return statement.bind(*params) if params else statement

    async def run(self, sql: str, *params: Any) -> int:
        try:
            result = await self._statement(sql, params).run()
        except JsException as error:
            raise _translate(error) from error
        return int(result["meta"]["changes"])

    async def first(self, sql: str, *params: Any) -> dict[str, Any] | None:
        try:
            row = await self._statement(sql, params).first()
        except JsException as error:
            raise _translate(error) from error
        return None if row is None else dict(row)

    async def all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        try:
            result = await self._statement(sql, params).all()
        except JsException as error:
            raise _translate(error) from error
        return [dict(row) for row in result["results"]]

    async def batch(self, statements: Sequence[Statement]) -> list[list[dict[str, Any]]]:
        """D1's batch: one round trip, one transaction (a failing statement rolls back all)."""
        try:
            results = await self._db.batch([self._statement(sql, params) for sql, params in statements])
        except JsException as error:
            raise _translate(error) from error
        return [[dict(row) for row in result["results"] or []] for result in results]


def _translate(error: Exception) -> Exception:
    if "UNIQUE constraint failed" in str(error):
        return DuplicateKey(str(error))
    return error
