"""The authorisation matrices' cells, for the services' routes (tests/integration/test_authorization_matrix.py)
and the console's pages (test_console_matrix.py). Each role asks each route twice, as the seeded
record's owner and as another person of the same role; a cell is the answer's letter (`A` answered,
`D` denied, `H` hidden as if it did not exist), one letter when both answers agree, else `owner/other`."""

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

Ask = Callable[[str, str], Awaitable[str]]  # (role, "owner" | "other") -> the answer's letter
Cells = dict[str, str]  # role -> cell


def rows(roles: Sequence[str]) -> Callable[..., Cells]:
    """`row(provider="A/H")`: a table row, every role not named `D`. `others="H"` makes the signed-in
    roles not named `H` instead (the anonymous caller, `none`, stays `D`)."""

    def row(*, others: str = "D", **cells: str) -> Cells:
        unknown = set(cells) - set(roles)
        assert not unknown, f"not a role: {sorted(unknown)}"
        return {role: cells.get(role, "D" if role == "none" else others) for role in roles}

    return row


async def cells_of(roles: Iterable[str], ask: Ask) -> Cells:
    """Each role's cell. Not the owner first: a refused write must leave the record for the owner's call."""
    cells = {}
    for role in roles:
        other = await ask(role, "other")
        owner = await ask(role, "owner")
        cells[role] = owner if owner == other else f"{owner}/{other}"
    return cells


def mismatches(route: str, cells: Cells, expected: Cells) -> list[str]:
    """One line per cell that is not the table's."""
    return [
        f"{route} as {role}: {cells[role]}, expected {expected[role]}"
        for role in cells
        if cells[role] != expected[role]
    ]


def named(text: str, values: Mapping[str, object], keys: Iterable[str], asked: str) -> list[str]:
    """The seeded records (`values[key]` for each of `keys`) an answer names that the request did not."""
    return [k for k in keys if str(values[k]) in text and str(values[k]) not in asked]


def uncovered(kind: str, routes: Iterable[tuple[str, str]], table: Iterable[tuple[str, str]]) -> str | None:
    """Why the table does not match the routes there are, or None: a route missing from it, or gone."""
    routes, table = set(routes), set(table)
    if routes == table:
        return None
    return f"{kind} not in the table: {sorted(routes - table)}; in the table but gone: {sorted(table - routes)}"


def show(observed: Mapping[tuple[str, str], Cells]) -> None:
    """The cells seen, one route a line (pytest shows them when the test fails)."""
    for (method, path), cells in observed.items():
        print(f"  {method:6} {path:55} " + " ".join(f"{r}={c}" for r, c in cells.items()))
