"""What the logs must never show: NIKs and the passwords inside connection URIs."""

from pmi_common.logs import mask_identity


def test_every_password_of_a_failover_list_of_uris_is_masked():
    line = (
        "Error connecting to broker at amqp://guest:********@10.0.0.1:5672/pmi;"
        "amqp://pmi:s3cret@10.0.0.2:5672/pmi;amqps://pmi:an%2Fother@10.0.0.3:5671/pmi"
    )

    masked = mask_identity(None, "error", {"event": line})["event"]

    assert "s3cret" not in masked and "an%2Fother" not in masked
    assert masked.count("********@") == 3
    assert "amqp://pmi:********@10.0.0.2:5672/pmi" in masked


def test_a_database_url_keeps_its_user_and_host_but_not_its_password():
    masked = mask_identity(
        None,
        "error",
        {
            "reason": "could not connect to postgresql+psycopg2://documents:hunter2@db:5432/documents"
        },
    )

    assert masked["reason"] == (
        "could not connect to postgresql+psycopg2://documents:********@db:5432/documents"
    )
