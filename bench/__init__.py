"""The platform's benchmark: ``make bench`` (``python -m bench.run``).

In one run it measures the floors of the tools the platform is built on (raw kombu, nameko's
events, nameko's HTTP -> RPC), then the platform itself on PostgreSQL, and prints each figure with
its ratio to the floor it is judged against, so the figures mean something on a noisy machine.
"""
