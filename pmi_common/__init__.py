"""What the platform's services share: the event contract and the plumbing around it.

- ``contract``: the envelope, every event's schema, and who publishes and handles each;
- ``store``, ``relay``, ``inbox``: the transactional outbox, its relay and the idempotent consumer;
- ``topology``: the RabbitMQ exchanges, queues and dead-letter routes;
- ``logs``: structured JSON logs with identity numbers masked.
"""
