"""nameko's HTTP entrypoint, as the gateway needs it.

``@api`` marks a ``GatewayService`` method as the endpoint of the route of the same name in
``routes.ROUTES``. Before the method runs, the handler authenticates the caller, checks the role
table, reads the path, query and body at the edge and, for writes with an ``Idempotency-Key``,
replays a first answer. It passes the correlation id and the actor into the worker's context data
(so RPC carries them to the services and into event envelopes), shapes the answer for the
caller's role, maps every error to a problem, and counts each request.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import structlog
from eventlet import wsgi
from eventlet.event import Event
from nameko.exceptions import ConfigurationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from pmi_common.context import COMMAND_KEY, CORRELATION_ID, actor_context
from pmi_common.errors import Forbidden, PlatformError
from pmi_common.published import scrub
from pmi_common.rpc import ServiceUnavailable

from . import access_log, auth, edge, encoding, privacy
from .agency_reads import SHAPED
from .agreements import Agreements
from .browsers import Browsers, parse_origins
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import Answer, IdempotencyKeys, command_key
from .metrics import UNMATCHED, RequestMetrics
from .problems import Problem, problem_for, problem_response
from .ratelimits import RateLimits
from .revocations import Revocations
from .roles import AGENCY, WORKER
from .routes import BY_NAME, PREFIX, Route, location_of
from .token_policy import TokenPolicy

log = structlog.get_logger("gateway")

JSON = "application/json"
SOCKET_TIMEOUT = 60  # seconds a client may stay silent on an open connection
MAX_URL_BYTES = 8192  # the longest path and query the gateway reads; longer gets a 414 problem
# eventlet answers a bare 414 (no problem, no headers) above its own line limit: keep that far
# beyond any URL the gateway itself reads, so that every refusal a client sees is a problem
REQUEST_LINE_LIMIT = 8 * MAX_URL_BYTES
EXPECTED = (PlatformError, ServiceUnavailable)
REPLAYED_HEADERS = ("Content-Type", "Location")


@dataclass
class Reply:
    """An answer with a status other than the route's usual one."""

    status: int
    body: Any
    headers: dict = field(default_factory=dict)


class GatewayWebServer(WebServer):
    """nameko's web server with the gateway's signing secret and metrics; paths and methods no
    route answers get a problem too."""

    revocations = Revocations()

    def setup(self):
        config = self.container.config
        try:
            self.secret = auth.signing_secret(config)
        except ValueError as exc:
            raise ConfigurationError(f"the gateway cannot start: {exc}") from exc
        try:
            self.policy = TokenPolicy.from_config(config)
            self.tokens = auth.VerifiedTokens(
                self.secret, self.policy, revoked=self.revocations.refusal
            )
            self.browsers = Browsers(parse_origins(config.get("CORS_ALLOWED_ORIGINS")))
            self.rate_limits = RateLimits(config)
        except ValueError as exc:
            raise ConfigurationError(f"the gateway cannot start: {exc}") from exc
        if not config.get("JWT_SECRET"):
            log.warning(
                "jwt_secret_missing",
                detail="DEVELOPMENT MODE: tokens are checked with "
                "the fixed development secret; never run like this outside a laptop",
            )
        self.metrics = RequestMetrics()
        super().setup()

    def make_url_map(self) -> Map:
        """nameko's map of the routes, built once per process for one set of routes (a few
        hundred rules take a tenth of a second to compile); a match's endpoint is the route's
        place in ``self.endpoints``."""
        rules = sorted(
            ((_rule_key(provider.get_url_rule()), provider) for provider in self._providers),
            key=lambda pair: pair[0],
        )
        self.endpoints = [provider for _, provider in rules]
        return _url_map(tuple(key for key, _ in rules))

    def get_wsgi_app(self):
        return _ProblemWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=HttpOnlyProtocol, debug=False):
        return wsgi.Server(
            sock,
            sock.getsockname(),
            wsgi_app,
            protocol=protocol,
            debug=False,
            log=logging.getLogger("gateway.wsgi"),
            log_output=False,
            socket_timeout=SOCKET_TIMEOUT,
            url_length_limit=REQUEST_LINE_LIMIT,
        )

    def unmatched(self, request: Request, exc: HTTPException | Problem) -> Response:
        started = time.perf_counter()
        correlation_id = edge.request_id(request)
        if isinstance(exc, HTTPException) and exc.code == 404:
            exc = Problem(404, "not-found", "Not found", f"no endpoint at {request.path}")
        response = problem_response(problem_for(exc), request.path, correlation_id)
        response.headers["X-Request-ID"] = correlation_id
        self.metrics.observe(
            UNMATCHED, request.method, response.status_code, time.perf_counter() - started
        )
        return response


def _rule_key(rule: Rule) -> tuple[str, tuple[str, ...]]:
    return rule.rule, tuple(sorted(rule.methods or ()))


@functools.lru_cache(maxsize=8)
def _url_map(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> Map:
    return Map(
        [Rule(url, methods=list(methods), endpoint=at) for at, (url, methods) in enumerate(rules)]
    )


class _ProblemWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        # eventlet ends the input stream itself (Content-Length, or the last chunk of a chunked
        # body), so Werkzeug may read chunked bodies, within the route's limit.
        environ.setdefault("wsgi.input_terminated", True)
        request = Request(environ, shallow=True)
        added = self.server.browsers.headers(request.headers.get("Origin"))

        def start_with_headers(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers = headers + [h for h in added if h[0].lower() not in present]
            return start_response(status, headers, exc_info)

        return self._answer(environ, request, start_with_headers)

    def _answer(self, environ, request: Request, start_response):
        if _url_bytes(environ) > MAX_URL_BYTES:
            exc = Problem(
                414,
                "uri-too-long",
                "URI too long",
                f"the path and query take at most {MAX_URL_BYTES} bytes",
            )
            return self.server.unmatched(request, exc)(environ, start_response)
        adapter = self.url_map.bind_to_environ(environ)
        browsers = self.server.browsers
        if browsers.is_preflight(request):
            answer = browsers.preflight(request, adapter.allowed_methods())
            if answer is None:
                answer = self.server.unmatched(
                    request,
                    Problem(
                        403,
                        "cross-origin-refused",
                        "Cross-origin request refused",
                        f"{request.headers['Origin']} may not call "
                        f"{request.headers['Access-Control-Request-Method']} {request.path} "
                        "(CORS_ALLOWED_ORIGINS)",
                    ),
                )
            return answer(environ, start_response)
        try:
            at, values = adapter.match()
        except RequestRedirect as exc:
            return exc(environ, start_response)
        except HTTPException as exc:
            return self.server.unmatched(request, exc)(environ, start_response)
        request.path_values = values
        return self.server.endpoints[at].handle_request(request)(environ, start_response)


def _url_bytes(environ) -> int:
    return len(environ.get("PATH_INFO", "").encode("latin-1", "replace")) + len(
        environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    )


class ApiHandler(HttpRequestHandler):
    server = GatewayWebServer()
    keys = IdempotencyKeys()
    grants = Agreements()
    access = access_log.AccessLog()

    def __init__(self, **kwargs):
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__("GET", PREFIX, **kwargs)
        self.route: Route | None = None

    def setup(self):
        self.route = BY_NAME.get(self.method_name)
        if self.route is None:
            raise ConfigurationError(f"{self.method_name} is not a route of gateway.routes")
        self.method, self.url = self.route.method, self.route.url_rule
        super().setup()

    def get_url_rule(self):
        return Rule(self.route.url_rule, methods=[self.route.method])

    # one request ----------------------------------------------------------------------------

    def handle_request(self, request: Request) -> Response:
        started = time.perf_counter()
        request.shallow = False
        correlation_id = edge.request_id(request)
        metrics = self.server.metrics
        metrics.in_progress.inc()
        try:
            response = self._answer(request, correlation_id)
        except Exception as exc:  # noqa: BLE001 - every error becomes a problem, here
            response = self._problem(request, exc, correlation_id)
        finally:
            metrics.in_progress.dec()
        response.headers["X-Request-ID"] = correlation_id
        elapsed = time.perf_counter() - started
        metrics.observe(PREFIX + self.route.path, request.method, response.status_code, elapsed)
        log.info(
            "request_answered",
            route=self.route.name,
            method=request.method,
            status=response.status_code,
            ms=round(elapsed * 1000, 1),
            correlation_id=correlation_id,
        )
        return response

    def _answer(self, request: Request, correlation_id: str) -> Response:
        route = self.route
        limits = self.server.rate_limits
        if route.public:
            limits.check_public(request)
        caller = (
            None
            if route.public
            else self.server.tokens.caller(request.headers.get("Authorization"))
        )
        if caller is not None and route.writes:
            limits.check_write(request, caller.principal)
        _check_role(route, caller)
        agreement = (
            self.grants.agreement_of(caller.agency)
            if caller is not None and caller.role == AGENCY
            else None
        )
        kwargs = edge.path_values(route, request.path_values)
        _check_own(route, caller, kwargs)
        query = edge.read_query(route, request)
        if route.takes_query:
            kwargs["query"] = query
            if agreement is not None and route.name in SHAPED:
                self.grants.check_filters(query, agreement)
                if agreement.placement_agency is not None:
                    kwargs["query"]["placement_agency"] = agreement.placement_agency
        if route.body is not None:
            kwargs["body"] = edge.read_body(route, request)
            _check_fields(route, caller, kwargs["body"])
        context = {
            CORRELATION_ID: correlation_id,
            **actor_context(caller.actor if caller else None),
        }
        key = request.headers.get(IDEMPOTENCY_HEADER) if route.writes else None
        if key is None:
            return self._run(request, caller, kwargs, context, correlation_id, agreement)
        return self._run_once(request, caller, kwargs, context, correlation_id, key)

    def _run_once(self, request, caller, kwargs, context, correlation_id, key) -> Response:
        principal = caller.principal if caller else "anonymous"
        first = self.keys.begin(principal, key, request.method, request.path, kwargs.get("body"))
        if first is not None:
            self.server.metrics.replays.inc()
            return Response(
                first.body,
                status=first.status,
                headers={**first.headers, "Idempotent-Replayed": "true"},
            )
        # the key travels with the command: the service records its answer with its effect, so
        # a retry after the gateway lost the answer (a crash, a timeout) still gets the first one
        context[COMMAND_KEY] = command_key(
            principal, key, request.method, request.path, kwargs.get("body")
        )
        response = self._run(request, caller, kwargs, context, correlation_id)
        try:
            if response.status_code >= 500:
                self.keys.release(principal, key)
            else:
                kept = {
                    name: response.headers[name]
                    for name in REPLAYED_HEADERS
                    if name in response.headers
                }
                self.keys.finish(
                    principal,
                    key,
                    Answer(response.status_code, response.get_data(as_text=True), kept),
                )
        except Exception as exc:  # noqa: BLE001 - the answer stands; the key frees itself later
            log.warning(
                "idempotency_key_not_recorded",
                error=f"{type(exc).__name__}: {exc}",
                correlation_id=correlation_id,
            )
        return response

    def _run(self, request, caller, kwargs, context, correlation_id, agreement=None) -> Response:
        """Run the endpoint's method in a nameko worker and turn what it returns into HTTP; an
        agency's answer is what its agreement covers, recorded as disclosed."""
        try:
            event = Event()
            finish = (
                partial(self._disclosed, event, agreement, request.path)
                if agreement is not None and self.route.name in SHAPED
                else partial(self.handle_result, event)
            )
            self.container.spawn_worker(
                self, (), kwargs, context_data=context, handle_result=finish
            )
            result = event.wait()
        except Exception as exc:  # noqa: BLE001
            return self._problem(request, exc, correlation_id)
        if agreement is not None and not isinstance(result, Response | Reply):
            result = scrub(result)  # free text (a cancellation reason...) typed with a NIK
        if self.route.audited and caller is not None:  # committed before the answer leaves
            self.access.record(caller, kwargs["worker_id"], self.route.name, correlation_id)
        return self._response(result, caller)

    def _disclosed(self, event, agreement, path, worker_ctx, result, exc_info):
        """In the worker, once the endpoint answered: the answer as the agency may read it, its
        disclosures recorded by the agencies service before it leaves."""
        if exc_info is None:
            try:
                result, given = self.grants.shape(self.route.name, result, agreement, path)
                if given:
                    worker_ctx.service.agencies.record_disclosures([asdict(d) for d in given])
            except Exception:  # noqa: BLE001 - the caller gets the problem
                result, exc_info = None, sys.exc_info()
        return self.handle_result(event, worker_ctx, result, exc_info)

    def _response(self, result: Any, caller: auth.Caller | None) -> Response:
        if isinstance(result, Response):
            return result
        reply = result if isinstance(result, Reply) else Reply(self.route.status, result)
        body = reply.body
        if self.route.personal:
            body = privacy.shape(body, caller.role if caller else None, self.route.name)
        headers = dict(reply.headers)
        if self.route.creates and reply.status == 201 and isinstance(body, dict) and body.get("id"):
            headers["Location"] = location_of(self.route, body["id"])
        return Response(encoding.dumps(body), status=reply.status, headers=headers, mimetype=JSON)

    def _problem(self, request: Request, exc: Exception, correlation_id: str) -> Response:
        problem = problem_for(exc)
        if problem.status >= 500:
            log.error(
                "request_failed",
                route=self.route.name,
                status=problem.status,
                error=f"{type(exc).__name__}: {exc}",
                correlation_id=correlation_id,
            )
        return problem_response(problem, request.path, correlation_id)


def _check_role(route: Route, caller: auth.Caller | None) -> None:
    if caller is not None and not route.allows(caller.role):
        raise Forbidden(
            f"the {caller.role} role may not call {route.method} {PREFIX}{route.path}",
            {"role": caller.role, "roles": sorted(route.roles)},
        )


def _check_own(route: Route, caller: auth.Caller | None, path: dict) -> None:
    if caller is not None and caller.role == WORKER and path.get("worker_id") != caller.subject:
        raise Forbidden("a worker may only reach their own record")


def _check_fields(route: Route, caller: auth.Caller | None, body: dict) -> None:
    if caller is None or caller.role != WORKER or route.worker_fields is None:
        return
    refused = sorted(set(body) - route.worker_fields)
    if refused:
        raise Forbidden(
            f"a worker may change only {', '.join(sorted(route.worker_fields))}; "
            f"{', '.join(refused)} is recorded by the LTSA desk",
            {"fields": refused},
        )


api = ApiHandler.decorator
