"""The route table, compiled once: a path template like `/api/jobs/{id}` becomes a regex; a
known path with the wrong method is 405, an unknown path 404. Imports nothing platform.
"""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import MethodNotAllowed, NotFound
from .http import HttpResponse

Handler = Callable[..., Awaitable[HttpResponse]]
_PARAM = re.compile(r"{([a-z_]+)}")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    handler: Handler
    public: bool = False  # answered without an identity


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    params: dict[str, str]


def compile_template(template: str) -> re.Pattern[str]:
    """`/api/jobs/{id}` → `^/api/jobs/(?P<id>[^/]+)$` (literal parts escaped)."""
    parts = _PARAM.split(template)  # literal, name, literal, name, …, literal
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = tuple(routes)
        by_template: dict[str, dict[str, Route]] = {}
        for route in routes:
            by_template.setdefault(route.template, {})[route.method] = route
        self._paths = [(compile_template(t), methods) for t, methods in by_template.items()]

    def match(self, method: str, path: str) -> Match:
        for pattern, methods in self._paths:
            found = pattern.match(path)
            if found is None:
                continue
            route = methods.get(method)
            if route is None:
                raise MethodNotAllowed(sorted(methods))
            return Match(route, found.groupdict())
        raise NotFound(f"no route for {path[:200]}")
