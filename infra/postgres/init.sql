-- One database per service (and one for the gateway's idempotency keys).
CREATE DATABASE registration;
CREATE DATABASE documents;
CREATE DATABASE orientation;
CREATE DATABASE reintegration;
CREATE DATABASE protection;
CREATE DATABASE gateway;
