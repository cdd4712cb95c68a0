"""The runtime every platform process loads: the event contract and the plumbing around it.

- ``names``, ``lifecycle``, ``errors``: the platform's names, the worker's statuses and the named
  errors, plain Python (the services' domains import these and nothing heavier);
- ``contract``, ``events``, ``history``: the envelope, every event's schema, who publishes and
  handles each, and what a caller asks of the history (the form agencies receive is the agencies
  service's: ``services.agencies.published``);
- ``store``, ``unit_of_work``, ``paging``, ``relay``, ``inbox``: the transactional outbox, its
  relay and the idempotent consumer; ``topology``: the exchanges, queues and dead-letter routes;
- ``rpc``, ``runner``, ``config``, ``logs``, ``metrics``: how a process starts, calls, is
  configured and is seen;
- ``fields``, ``validation``: the API's field rules and the loading of input.

Nothing here imports the services (the agencies service among them), the gateway or the tools
(``pmi_tools``).
"""
