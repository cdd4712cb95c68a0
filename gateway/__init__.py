"""The HTTP gateway: the one door for front ends (the LTSA desk app, a worker's self-service app).

It authenticates callers, checks each call against the role table (``routes``), validates input at
the edge, calls one service over RPC and maps every error to an ``application/problem+json``
answer. Business rules live in the services.
"""
