"""Who may see and change a plan. A party (a programme parent by their Parent Hub token, anyone
else by their secret plan token) sees and negotiates its plan; an FCA a party shared it with
reads it. Everyone else, a party who left included, is told it does not exist."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from plans import domain, store
from ptfc.auth import verified_caller
from ptfc.limits import client_address
from ptfc.problems import Problem, forbidden


@dataclass(frozen=True)
class Identity:
    participant_id: str | None = None  # a programme parent
    token_hash: str | None = None  # someone without an account
    fca_id: str | None = None  # a Cafcass adviser

    @property
    def key(self) -> str:
        """Scopes idempotency records to the caller."""
        return self.participant_id or self.fca_id or (self.token_hash or "")[:32] or "anonymous"


def client_of(request: Request) -> str:
    """The caller's address (behind the ingress or the Parent Hub, the one they forward)."""
    return client_address(request.scope, request.app.state.settings.trusted_proxy_hops)


def limit_public(request: Request) -> None:
    """A dependency for what anyone may do without an account: limited per client."""
    request.app.state.rate_limit.check(client_of(request))


_bearer = HTTPBearer(auto_error=False)
# A credential, so documented as a security scheme: either it or a bearer token names the caller.
_plan_token = APIKeyHeader(
    name="X-Plan-Token",
    scheme_name="PlanToken",
    description="The secret plan token, for a party without a Parent Hub account.",
    auto_error=False,
)
PlanToken = Annotated[str | None, Depends(_plan_token)]


async def identity(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    token: PlanToken,
) -> Identity:
    """Who is calling, if anyone: a bearer token, or a plan token (rate limited: tokens are guessed)."""
    if credentials is not None:
        caller = await verified_caller(request.app.state.settings, credentials.credentials)
        if caller.role == "parent":
            return Identity(participant_id=caller.sub)
        if caller.role == "cafcass":
            return Identity(fca_id=caller.sub)
        raise forbidden("Plans are for parents, and for an FCA a parent shared a plan with.")
    if token is not None:
        limit_public(request)
        token_hash = domain.hash_token(token)
        # A token no plan knows is a wrong credential (401), which says nothing about any plan.
        if not await store.plan_token_known(request.app.state.rt.store.db, token_hash):
            raise Problem(401, "invalid-token", "Authentication required", "The plan token is not valid.")
        return Identity(token_hash=token_hash)
    return Identity()


Caller = Annotated[Identity, Depends(identity)]


def reader_of(plan: dict | None, who: Identity) -> dict | None:
    """The caller's party, or None for an FCA the plan was shared with; anyone else: not found
    (a refusal goes on to the app's handler, refusals.WORDS)."""
    return domain.reader(plan, who)
