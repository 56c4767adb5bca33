"""Slack's Socket Mode endpoint, faked on 127.0.0.1, for tests of the bot's link.

It speaks just enough WebSocket (RFC 6455: the handshake, unmasked text frames
out, masked frames in, ping and close) for slack_sdk's built-in client. A test
sends envelopes the way Slack does, retries included, and reads the acks the
bot sends back. FakeSlack points apps.connections.open here.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
import uuid

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    """One listening socket; each client connection is served on its own thread."""

    def __init__(self) -> None:
        self.acks: list[dict] = []
        self.connections = 0
        self.closed = 0  # connections the client ended (close frame or EOF)
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link"

    def send(
        self, kind: str, payload: dict, retry_attempt: int = 0, retry_reason: str = ""
    ) -> str:
        """Deliver an envelope to the connected client; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        with self._lock:
            client = self._clients[-1]
        client.sendall(_frame(TEXT, json.dumps(envelope).encode()))
        return envelope_id

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return _poll(lambda: self.connections > 0, timeout)

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict | None:
        _poll(
            lambda: any(a.get("envelope_id") == envelope_id for a in self.acks), timeout
        )
        return next((a for a in self.acks if a.get("envelope_id") == envelope_id), None)

    def wait_closed(self, timeout: float = 5.0) -> bool:
        return _poll(lambda: self.closed >= self.connections > 0, timeout)

    def stop(self) -> None:
        self._stopping = True
        self._listener.close()
        with self._lock:
            for client in self._clients:
                # shutdown, not just close: the reader's file object keeps the
                # socket open, and the client must see the connection end.
                try:
                    client.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                client.close()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        try:
            _handshake(client, reader)
            with self._lock:
                self._clients.append(client)
                self.connections += 1
            while True:
                opcode, payload = _read_frame(reader)
                if opcode == PING:
                    client.sendall(_frame(PONG, payload))
                elif opcode == TEXT:
                    self.acks.append(json.loads(payload))
                elif opcode == CLOSE:
                    break
        except (OSError, ConnectionError, struct.error):
            pass
        with self._lock:
            self.closed += 1


def _handshake(client: socket.socket, reader) -> None:
    key = ""
    while True:
        line = reader.readline().decode().strip()
        if not line:
            break
        name, _, value = line.partition(":")
        if name.lower() == "sec-websocket-key":
            key = value.strip()
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    client.sendall(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode()
    )


def _read_frame(reader) -> tuple[int, bytes]:
    first, second = _exactly(reader, 2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _exactly(reader, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _exactly(reader, 8))
    mask = _exactly(reader, 4) if second & 0x80 else b"\0\0\0\0"
    data = _exactly(reader, length)
    return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _exactly(reader, size: int) -> bytes:
    data = reader.read(size)
    if len(data) < size:
        raise ConnectionError("the client went away")
    return data


def _frame(opcode: int, payload: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 65536:
        head += bytes([126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([127]) + struct.pack("!Q", len(payload))
    return head + payload


def _poll(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
