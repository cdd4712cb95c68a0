"""The one map from errors to HTTP problems."""

import eventlet
import pytest
from nameko.exceptions import RemoteError

from gateway.auth import Unauthenticated
from gateway.problems import KINDS, problem_for
from pmi_common import errors
from pmi_common.rpc import ServiceUnavailable


def test_every_named_error_of_the_platform_has_a_status():
    named = [
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type)
        and issubclass(cls, errors.PlatformError)
        and cls is not errors.PlatformError
    ]
    assert named and all(cls.kind in KINDS for cls in named)


def test_invalid_input_is_422_with_each_field():
    problem = problem_for(errors.InvalidInput("the body is not valid", {"nik": ["16 digits"]}))
    assert (problem.status, problem.slug, problem.errors) == (
        422,
        "invalid-input",
        {"nik": ["16 digits"]},
    )


@pytest.mark.parametrize(
    "error, status, slug",
    [
        (errors.NotFound("no worker w1"), 404, "not-found"),
        (errors.DuplicateRegistration("taken", {"worker_id": "w1"}), 409, "duplicate-registration"),
        (errors.TransitionRefused("not cleared"), 409, "transition-refused"),
        (errors.CapacityReached("full"), 409, "capacity-reached"),
        (errors.IdentityMismatch("not theirs"), 409, "identity-mismatch"),
        (errors.Forbidden("not a verifier"), 403, "forbidden"),
        (Unauthenticated("expired"), 401, "unauthenticated"),
        (RemoteError("IntegrityError", "boom"), 502, "service-failed"),
        (KeyError("bug"), 500, "internal-error"),
    ],
)
def test_each_error_has_its_status_and_type(error, status, slug):
    problem = problem_for(error)
    assert (problem.status, problem.slug) == (status, slug)


def test_what_a_service_said_is_kept_and_internals_are_not():
    refused = problem_for(errors.DuplicateRegistration("taken", {"worker_id": "w1"}))
    assert refused.details == {"worker_id": "w1"}
    assert "boom" not in problem_for(RemoteError("IntegrityError", "boom")).detail


def test_a_service_that_is_down_is_503_and_one_that_is_late_504_both_with_retry_after():
    down = ServiceUnavailable("documents", "is not running")
    late = ServiceUnavailable("documents", "did not answer within 10s")
    late.__cause__ = eventlet.Timeout(None)
    assert (problem_for(down).status, problem_for(late).status) == (503, 504)
    assert problem_for(down).headers["Retry-After"] == problem_for(late).headers["Retry-After"]


def test_a_trainer_stopped_at_the_door_is_429_with_retry_after():
    problem = problem_for(
        errors.TooManyAttempts("stopped", {"retry_after": 3600, "incident_id": 7})
    )
    assert (problem.status, problem.slug) == (429, "too-many-requests")
    assert problem.headers == {"Retry-After": "3600"}
    assert problem.details["incident_id"] == 7
