"""The agencies service: the one way events leave the platform for agencies (see ``service``)."""
