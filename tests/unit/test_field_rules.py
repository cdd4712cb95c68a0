"""The gateway and the services check a field by the same rule: its pattern, length, range and
choices come from ``pmi_common.fields`` (and the contract's codes) for both, so the OpenAPI
document describes what the services accept."""

from __future__ import annotations

import pytest
from marshmallow import fields, validate

import gateway.schemas as edge
from services.documents import schemas as documents
from services.orientation import schemas as orientation
from services.registration import schemas as registration
from services.reintegration import schemas as reintegration

SAME_BODY = [
    (edge.RegisterWorker, registration.RegisterWorker),
    (edge.Address, registration.Address),
    (edge.UpdateWorker, registration.UpdateWorker),
    (edge.RecordDeparture, registration.RecordDeparture),
    (edge.RecordReturn, registration.RecordReturn),
    (edge.ExtendContract, registration.ExtendContract),
    (edge.ChangeEmployer, registration.ChangeEmployer),
    (edge.ExpectReturn, registration.ExpectReturn),
    (edge.AddFamilyMember, registration.AddFamilyMember),
    (edge.ChangeFamilyMember, registration.ChangeFamilyMember),
    (edge.Withdraw, registration.Withdraw),
    (edge.SubmitDocument, documents.SubmitDocument),
    (edge.FileUpload, documents.FileUpload),
    (edge.VerifyDocument, documents.VerifyDocument),
    (edge.RejectDocument, documents.RejectDocument),
    (edge.ScheduleSession, orientation.ScheduleSession),
    (edge.CancelSession, orientation.CancelSession),
    (edge.EnrolWorker, orientation.EnrolWorker),
    (edge.RecordAttendance, orientation.RecordAttendance),
    (edge.CreateProgram, reintegration.CreateProgram),
    (edge.ProgramRound, reintegration.RoundInput),
    (edge.EnrolParticipant, reintegration.Enrol),
    (edge.RecordRoundResult, reintegration.RecordRoundResult),
    (edge.CompleteParticipant, reintegration.CompleteParticipant),
]
# Where the edge checks a format and the service a business rule in its place.
EDGE_ONLY = {
    ("RegisterWorker", "nik"): "the service checks the NIK against the birth date and sex",
    ("RegisterWorker", "destination_country"): "the service checks the code exists, abroad",
    ("RecordDeparture", "destination_country"): "the service checks the code exists, abroad",
    ("FileUpload", "content_base64"): "the service decodes and checks the scan",
    ("RecordRoundResult", "round"): "the service checks the round against the programme",
}


def rules(field: fields.Field) -> dict:
    found = {"items": rules(field.inner)} if isinstance(field, fields.List) else {}
    for rule in field.validators:
        if isinstance(rule, validate.Regexp):
            found["pattern"] = rule.regex.pattern
        elif isinstance(rule, validate.Length):
            found["length"] = (rule.min, rule.max, rule.equal)
        elif isinstance(rule, validate.Range):
            found["range"] = (rule.min, rule.max)
        elif isinstance(rule, validate.OneOf):
            found["choices"] = tuple(rule.choices)
    return found


@pytest.mark.parametrize(
    ("at_the_edge", "in_the_service"),
    SAME_BODY,
    ids=[edge_schema.__name__ for edge_schema, _ in SAME_BODY],
)
def test_the_edge_and_the_service_check_a_field_by_one_rule(at_the_edge, in_the_service):
    edge_fields = at_the_edge._declared_fields
    service_fields = in_the_service._declared_fields
    assert set(edge_fields) == set(service_fields)
    differing = {
        name: (rules(edge_fields[name]), rules(service_fields[name]))
        for name in edge_fields
        if (at_the_edge.__name__, name) not in EDGE_ONLY
        and rules(edge_fields[name]) != rules(service_fields[name])
    }
    assert differing == {}
