"""What leaves the platform for an agency: generated over every event type of the contract."""

import datetime as dt
import json

import pytest

from pmi_common import contract as c
from pmi_common import nik_like
from pmi_common.agreement import Agreement
from pmi_common.errors import InvalidInput
from pmi_common.published import PUBLISHED, SCRUBBED, WITHHELD, pseudonym, published_spec, scrub
from services.agencies import asyncapi
from services.agencies.published import disclose, parse_fields

NIK = "3505125703940001"
KEY = "a-test-pseudonym-key-of-enough-length"
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
ALL_TYPES = [spec.event_type for spec in asyncapi.CATALOGUED]


def agreement(fields=None, **terms) -> Agreement:
    granted = fields or {t: PUBLISHED[t].fields for t in ALL_TYPES}
    return Agreement(
        agency="bpjs",
        fields=granted,
        purpose="membership",
        legal_basis="legal_obligation",
        approved_by="Kepala Disnaker",
        valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        **terms,
    )


def hostile_envelope(spec: c.EventSpec) -> dict:
    """The catalogue's example with a NIK typed into every text field and as the staff login."""
    body = asyncapi.example_envelope(spec)
    if spec.event_type == c.CASE_REFERRED:
        body["data"]["referred_agency"] = "bpjs"  # a referral reaches the agency it names
    for name, value in body["data"].items():
        if isinstance(value, str) and name not in ("sex", "destination_country", "referred_agency"):
            body["data"][name] = f"{value} (NIK {NIK[:4]} {NIK[4:8]} {NIK[8:12]} {NIK[12:]})"
    body["actor"] = {"role": "verifier", "agency": "ltsa-blitar", "subject": NIK}
    body["correlation_id"] = f"{NIK[:4]}/{NIK[4:8]}/{NIK[8:12]}/{NIK[12:]}"  # an X-Request-ID
    return body


def published(body, granted=None, placement_agency_of=lambda worker_id: "PT Sinar Jaya"):
    return disclose(
        body,
        granted or agreement(),
        now=NOW,
        pseudonym_key=KEY,
        placement_agency_of=placement_agency_of,
    )


def test_every_internal_field_is_either_published_or_withheld_with_a_reason():
    assert set(PUBLISHED) == set(ALL_TYPES)
    for spec in asyncapi.CATALOGUED:
        internal = set(spec.schema().fields)
        withheld = set(WITHHELD.get(spec.event_type, {}))
        assert set(PUBLISHED[spec.event_type].fields) == internal - withheld, spec.event_type
        assert withheld <= internal, f"{spec.event_type} withholds fields it does not have"


def test_the_platform_s_own_running_is_in_no_catalogue_and_reaches_no_agency():
    assert c.INTERNAL_ONLY == {c.NOTIFICATION_SENT}  # what the office's messages cost
    consumed = {spec.event_type for spec in c.handled_by(c.AGENCIES)}
    for event_type in c.INTERNAL_ONLY:
        assert event_type not in PUBLISHED and event_type not in consumed
        assert event_type not in asyncapi.document()["channels"]
        with pytest.raises(c.UnknownEvent):
            published_spec(event_type)
        with pytest.raises(InvalidInput):  # no agreement can grant it
            parse_fields(tuple(ALL_TYPES), [f"{event_type}:kind,channel"])
        body = asyncapi.example_envelope(c.spec_for(event_type))
        assert published(body) is None  # an agreement granting every published field
        everything = {t: tuple(c.spec_for(t).schema().fields) for t in (*ALL_TYPES, event_type)}
        with pytest.raises(c.UnknownEvent):  # one made up to name it anyway
            published(body, agreement(everything))


def test_nothing_a_nik_can_be_rebuilt_from_is_published():
    registered = PUBLISHED[c.WORKER_REGISTERED].fields
    assert "nik_digest" not in registered and "nik_masked" not in registered
    # the birth year and the village narrow a person down (with the sex): the planning office's
    assert "birth_year" not in registered and "village_code" not in registered
    with pytest.raises(InvalidInput):
        parse_fields((c.WORKER_REGISTERED,), ["worker_registered:sex,birth_year"])
    with pytest.raises(InvalidInput):
        parse_fields((c.WORKER_REGISTERED,), ["worker_registered:village_code"])


# every internal version an agency may receive, today's and the history's (a backfill)
EVERY_VERSION = [spec for spec in c.CONTRACT if spec.event_type not in c.INTERNAL_ONLY]


def test_a_published_version_is_made_from_every_internal_version_of_its_type():
    for spec in EVERY_VERSION:
        assert PUBLISHED[spec.event_type].made_from(spec.version), spec
        assert set(PUBLISHED[spec.event_type].fields) <= set(spec.schema().fields), spec


@pytest.mark.parametrize(
    "spec", EVERY_VERSION, ids=lambda spec: f"{spec.event_type}.internal-v{spec.version}"
)
def test_today_s_and_the_history_s_internal_versions_are_published_the_same(spec):
    event = published(hostile_envelope(spec))
    assert event["event_version"] == PUBLISHED[spec.event_type].version
    assert set(event["data"]) == set(PUBLISHED[spec.event_type].fields)


def test_a_registration_of_version_2_reaches_an_agency_as_version_1_without_birth_or_village():
    today = asyncapi.example_envelope(c.spec_for(c.WORKER_REGISTERED, 2))
    today["data"].update(birth_year=1987, village_code="35.05.12.2001")
    history = asyncapi.example_envelope(c.spec_for(c.WORKER_REGISTERED, 1))
    assert today["event_version"] == 2 and history["event_version"] == 1

    sent, backfilled = published(today), published(history)
    assert sent["event_version"] == backfilled["event_version"] == 1
    assert sent["data"] == backfilled["data"]  # the same fields, the same values
    assert set(sent["data"]) == set(c.WorkerRegisteredV1().fields) - set(
        WITHHELD[c.WORKER_REGISTERED]
    )
    text = json.dumps(sent)
    assert "1987" not in text and "35.05.12.2001" not in text
    assert "birth_year" not in text and "village_code" not in text


def test_an_internal_version_the_published_contract_does_not_map_reaches_no_agency():
    body = asyncapi.example_envelope(c.spec_for(c.WORKER_REGISTERED))
    body["event_version"] = 3
    assert published(body) is None


@pytest.mark.parametrize("spec", asyncapi.CATALOGUED, ids=asyncapi.message_id)
def test_no_published_event_carries_a_field_outside_the_contract_or_a_sixteen_digit_number(spec):
    event = published(hostile_envelope(spec))

    assert set(event) <= {
        "event_id",
        "event_type",
        "event_version",
        "occurred_at",
        "source",
        "worker_id",
        "sequence",
        "correlation_id",
        "actor",
        "data",
    }
    assert set(event["data"]) <= set(PUBLISHED[spec.event_type].fields)
    assert set(event["data"]) == set(PUBLISHED[spec.event_type].fields)  # all granted here
    text = json.dumps(event)
    assert not nik_like.contains(text)
    assert event["correlation_id"] == event["event_id"]  # the caller's request id stays inside
    assert "nik_digest" not in text and NIK not in text
    assert event["actor"]["subject"] == pseudonym(NIK, KEY)


@pytest.mark.parametrize("spec", asyncapi.CATALOGUED, ids=asyncapi.message_id)
def test_an_agency_gets_only_the_fields_granted_for_that_type(spec):
    first = PUBLISHED[spec.event_type].fields[:1]
    event = published(hostile_envelope(spec), agreement({spec.event_type: first}))
    assert list(event["data"]) == list(first)
    other = next(t for t in ALL_TYPES if t != spec.event_type)
    assert published(hostile_envelope(spec), agreement({other: PUBLISHED[other].fields})) is None


def test_a_placement_company_gets_only_events_about_its_own_recruits():
    body = asyncapi.example_envelope(c.spec_for(c.WORKER_DEPARTED))
    company = agreement(placement_agency="PT Sinar Jaya")
    assert published(body, company, lambda w: "PT  sinar jaya") is not None
    assert published(body, company, lambda w: "PT Lain Sekali") is None
    assert published(body, company, lambda w: None) is None  # unknown recruiter: nothing
    session = asyncapi.example_envelope(c.spec_for(c.SESSION_SCHEDULED))
    assert published(session, company, lambda w: pytest.fail("no worker to ask about"))


def test_an_agreement_not_yet_or_no_longer_in_force_discloses_nothing():
    body = asyncapi.example_envelope(c.spec_for(c.WORKER_DEPARTED))
    assert published(body, agreement(valid_until=NOW)) is None
    later = Agreement(**{**agreement().__dict__, "valid_from": NOW + dt.timedelta(days=1)})
    assert published(body, later) is None


def test_a_nik_in_free_text_is_scrubbed_however_it_is_typed():
    for typed in (NIK, "3505 1257 0394 0001", "3505-1257-0394-0001", "3505.125703.940001"):
        assert scrub(f"withdrawn, NIK {typed} wrong") == f"withdrawn, NIK {SCRUBBED} wrong"
    assert scrub("passport C1234567, phone 081234567890") == "passport C1234567, phone 081234567890"
    uuid_with_a_long_digit_run = "see f6267ddc-7107-5504-9707-4145db6de117"
    assert scrub(uuid_with_a_long_digit_run) == uuid_with_a_long_digit_run  # an id, not a NIK


def test_staff_pseudonyms_are_stable_and_differ_per_key():
    assert pseudonym("desk-1", KEY) == pseudonym("desk-1", KEY)
    assert pseudonym("desk-1", KEY) != pseudonym("desk-2", KEY)
    assert pseudonym("desk-1", KEY) != pseudonym("desk-1", KEY + "x")
    assert "desk-1" not in pseudonym("desk-1", KEY)


def test_granted_fields_are_checked_against_the_published_contract():
    types = (c.WORKER_REGISTERED, c.WORKER_DEPARTED)
    fields = parse_fields(types, ["worker_registered:full_name,sex", "worker_departed:employer"])
    assert fields == {
        c.WORKER_REGISTERED: ("full_name", "sex"),
        c.WORKER_DEPARTED: ("employer",),
    }
    for bad in (
        ["worker_registered:nik_digest", "worker_departed:employer"],
        ["worker_returned:reason", "worker_registered:sex", "worker_departed:employer"],
        ["full_name", "worker_departed:employer"],
        ["worker_registered:full_name"],  # worker_departed's fields not named
    ):
        with pytest.raises(InvalidInput) as refused:
            parse_fields(types, bad)
        assert "fields" in refused.value.details


def test_the_pseudonym_key_is_a_secret_of_its_own_never_weak_outside_development():
    from pmi_common.production import DEVELOPMENT_PSEUDONYM_KEY
    from pmi_common.published import pseudonym_key

    strong = "0123456789abcdef0123456789abcdef01"
    assert pseudonym_key({"PSEUDONYM_KEY": strong}) == strong
    assert pseudonym_key({"PSEUDONYM_KEY": strong, "JWT_SECRET": strong + "x"}) == strong
    assert pseudonym_key({"PMI_ENV": "development"}) == DEVELOPMENT_PSEUDONYM_KEY
    for weak, reason in (
        ({}, "PSEUDONYM_KEY is not set"),
        ({"JWT_SECRET": strong}, "PSEUDONYM_KEY is not set"),  # never derived from it
        ({"PSEUDONYM_KEY": strong, "JWT_SECRET": strong}, "PSEUDONYM_KEY is the JWT_SECRET"),
        ({"PSEUDONYM_KEY": "short"}, "shorter than 32"),
        ({"PSEUDONYM_KEY": "change-me"}, "known default"),
        ({"PSEUDONYM_KEY": DEVELOPMENT_PSEUDONYM_KEY}, "known default"),
    ):
        with pytest.raises(ValueError, match=reason):
            pseudonym_key(weak)


def test_staff_s_agency_claim_never_reaches_agencies_but_an_agency_s_does():
    from pmi_common.published import published_actor

    operator = {"role": "operator", "agency": "bp3mi-jatim", "subject": "desk-1"}
    agency = {"role": "agency", "agency": "bp3mi-jatim", "subject": "feed-1"}

    assert published_actor(operator, "k" * 32)["agency"] is None
    assert published_actor(agency, "k" * 32)["agency"] == "bp3mi-jatim"


@pytest.mark.parametrize(
    "event_type", (c.CASE_OPENED, c.CASE_ASSIGNED, c.CASE_STATUS_CHANGED, c.CASE_RESOLVED)
)
def test_a_protection_case_reaches_an_agency_only_by_named_fields_and_never_a_sensitive_one(
    event_type,
):
    body = asyncapi.example_envelope(c.spec_for(event_type))
    with pytest.raises(InvalidInput) as by_type_alone:  # a case's fields are named, or none
        parse_fields((event_type,), None)
    assert by_type_alone.value.details["fields"][0].startswith(f"{event_type}: name the fields")
    assert published(body, agreement({event_type: ()})) is None
    named = agreement({event_type: ("case_id", "case_type")})
    assert set(published(body, named)["data"]) == {"case_id", "case_type"}
    for sensitive in (True, None):  # not saying is taken as sensitive
        body["data"]["sensitive"] = sensitive
        assert published(body, named) is None
    assert "assigned_to" not in PUBLISHED[c.CASE_ASSIGNED].fields  # a caseworker's login


def referral(agency: str | None = "bpjs", sensitive: bool | None = False) -> dict:
    body = asyncapi.example_envelope(c.spec_for(c.CASE_REFERRED))
    body["data"].update(referred_kind="agency", referred_agency=agency, sensitive=sensitive)
    return body


REFERRAL_FIELDS = {c.CASE_REFERRED: ("case_id", "case_type", "referred_agency")}


def test_a_referral_reaches_only_the_agency_it_names():
    assert set(published(referral("bpjs"), agreement(REFERRAL_FIELDS))["data"]) == {
        "case_id",
        "case_type",
        "referred_agency",
    }
    # another agency granted the type receives nothing of it; nor does any, when the referral
    # names a body not on the platform (the police, an embassy)
    assert published(referral("bp3mi-jatim"), agreement(REFERRAL_FIELDS)) is None
    assert published(referral(None), agreement(REFERRAL_FIELDS)) is None
    assert published(referral("BPJS"), agreement(REFERRAL_FIELDS)) is None  # names exactly


def test_a_sensitive_case_reaches_only_the_agency_referred_to_and_only_its_referral():
    granted = agreement({**REFERRAL_FIELDS, c.CASE_STATUS_CHANGED: ("case_id", "to_status")})
    for sensitive in (True, None):  # not saying is taken as sensitive
        assert published(referral("bpjs", sensitive), granted)["data"]["case_id"]
        assert published(referral("bp3mi-jatim", sensitive), granted) is None
        moved = asyncapi.example_envelope(c.spec_for(c.CASE_STATUS_CHANGED))
        moved["data"]["sensitive"] = sensitive
        assert published(moved, granted) is None  # the rest of the case: to no agency at all


def test_sensitive_case_says_which_agency_may_have_a_sensitive_case_s_event():
    from services.agencies.domain import sensitive_case

    assert sensitive_case(referral("bpjs", True))  # no agency named: withheld
    assert not sensitive_case(referral("bpjs", True), "bpjs")
    assert sensitive_case(referral("bpjs", True), "bp3mi-jatim")
    assert not sensitive_case(referral("bp3mi-jatim", False), "bpjs")  # not sensitive at all
