"""Raw TCP listeners on loopback that answer a connection in one chosen (often broken) way: for the probes."""

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def listening(answer: Callable[[socket.socket], None], host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    """A raw TCP listener on loopback that treats every connection with `answer`; yields its port."""
    server = socket.create_server((host, port))
    connections: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connections.append(connection)
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone leaves the port listening
        server.close()
        for connection in connections:
            connection.close()


def reset(connection: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel answers with a TCP reset."""
    connection.recv(4096)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def tls_alert(connection: socket.socket) -> None:
    """What a TLS stack may send to a plain-HTTP request: a fatal handshake_failure alert, then close."""
    connection.recv(4096)
    connection.sendall(b"\x15\x03\x01\x00\x02\x02\x28")
    connection.close()


def silent(connection: socket.socket) -> None:
    """Read the request and never answer (the listener closes the connection when the test ends)."""
    connection.recv(4096)


def http_answer(status: int, location: str = "") -> Callable[[socket.socket], None]:
    def answer(connection: socket.socket) -> None:
        connection.recv(4096)
        moved = f"Location: {location}\r\n" if location else ""
        connection.sendall(f"HTTP/1.1 {status} X\r\n{moved}Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
        connection.close()

    return answer
