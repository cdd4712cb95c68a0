"""A TLS endpoint in front of the machine's own broker or database, for the TLS tests: it ends
TLS with the test's server certificate and passes the bytes on, so clients verify a real
certificate chain while the servers behind stay as they are. Runs as its own process (no
eventlet), started by the tests:

    python -m tests.integration.tls.terminator amqp|postgres TARGET_HOST:PORT CERT KEY

It prints the port it listens on (on 127.0.0.1), then serves until killed. For ``postgres`` it
answers the client's SSLRequest with ``S`` before the handshake, as PostgreSQL does, and sends
the startup that follows in clear to the server behind.
"""

from __future__ import annotations

import socket
import ssl
import struct
import sys
import threading

SSL_REQUEST = struct.pack("!II", 8, 80877103)


def pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(
    client: socket.socket, mode: str, target: tuple[str, int], context: ssl.SSLContext
) -> None:
    try:
        if mode == "postgres":
            if client.recv(8, socket.MSG_WAITALL) != SSL_REQUEST:
                client.close()
                return
            client.sendall(b"S")
        secure = context.wrap_socket(client, server_side=True)
    except (OSError, ssl.SSLError):
        client.close()  # the client refused our certificate: what the tests check
        return
    upstream = socket.create_connection(target)
    threading.Thread(target=pump, args=(secure, upstream), daemon=True).start()
    pump(upstream, secure)


def main() -> None:
    mode, target, cert, key = sys.argv[1:5]
    host, port = target.rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(
            target=serve, args=(client, mode, (host, int(port)), context), daemon=True
        ).start()


if __name__ == "__main__":
    main()
