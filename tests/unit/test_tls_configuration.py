"""How TLS settings become connection options (the connections themselves: test_tls.py)."""

import ssl

from pmi_common.tls import amqp_ssl, database_connect_args


def test_amqps_verifies_the_broker_against_the_configured_ca_and_its_name():
    options = amqp_ssl(
        "amqps://pmi-registration:x@broker.pmi.svc:5671/",
        {"AMQP_CA_FILE": "/etc/pmi/broker-ca.crt"},
    )
    assert options == {
        "cert_reqs": ssl.CERT_REQUIRED,
        "server_hostname": "broker.pmi.svc",
        "ca_certs": "/etc/pmi/broker-ca.crt",
    }
    with_client = amqp_ssl("amqps://u:p@b/", {"AMQP_CERT_FILE": "c.pem", "AMQP_KEY_FILE": "k.pem"})
    assert (with_client["certfile"], with_client["keyfile"]) == ("c.pem", "k.pem")
    assert amqp_ssl("amqp://u:p@b/", {"AMQP_CA_FILE": "/ca.crt"}) is None


def test_a_database_ca_makes_every_postgresql_connection_verify_full():
    env = {"DATABASE_CA_FILE": "/etc/pmi/db-ca/ca.crt"}
    assert database_connect_args("postgresql+psycopg2://r@db/r?sslmode=require", env) == {
        "sslmode": "verify-full",
        "sslrootcert": "/etc/pmi/db-ca/ca.crt",
    }
    assert database_connect_args("postgresql+psycopg2://r@db/r", {}) == {}
    assert database_connect_args("sqlite:///var/r.db", env) == {}
