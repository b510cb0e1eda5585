"""The local endpoint answers only requests addressed to loopback (DNS rebinding, issue #26).

Raw HTTP with a chosen ``Host`` header, as a browser fooled by a rebinding name would send.
"""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.dynamodb.hosts import split_host
from tests.conftest import make_raw_client


def status_for(endpoint: LocalDynamoDB, host: str) -> int:
    port = int(endpoint.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("POST", "/", skip_host=True)
        connection.putheader("Host", host)
        connection.putheader("X-Amz-Target", "DynamoDB_20120810.ListTables")
        connection.putheader("Content-Type", "application/x-amz-json-1.0")
        connection.putheader("Content-Length", "2")
        connection.endheaders(b"{}")
        answer = connection.getresponse()
        json.loads(answer.read())
        return answer.status
    finally:
        connection.close()


def test_loopback_names_with_the_served_port_are_answered(endpoint: LocalDynamoDB) -> None:
    port = endpoint.url.rsplit(":", 1)[1]
    for host in (
        f"127.0.0.1:{port}",
        f"localhost:{port}",
        f"LOCALHOST:{port}",
        f"127.1.2.3:{port}",
        f"[::1]:{port}",
    ):
        assert status_for(endpoint, host) == 200, host


def test_other_names_and_ports_are_refused(endpoint: LocalDynamoDB) -> None:
    port = int(endpoint.url.rsplit(":", 1)[1])
    for host in (
        f"evil.example:{port}",  # a rebinding name resolved to 127.0.0.1
        f"localhost.evil.example:{port}",
        f"127.0.0.1.nip.io:{port}",
        f"localhost:{port + 1}",
        "localhost",
        f"10.0.0.1:{port}",
        "",
        f"localhost:{port}:1",
    ):
        assert status_for(endpoint, host) == 403, host
    # boto3 addresses the endpoint by its URL: still answered.
    assert "TableNames" in make_raw_client(endpoint.url).list_tables()


def _lan_address() -> str | None:
    """A non-loopback address of this machine, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for UDP connect
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_a_deliberate_non_loopback_bind_also_answers_its_own_address() -> None:
    address = _lan_address()
    if address is None:
        pytest.skip("no non-loopback address on this machine")
    with LocalDynamoDB(host=address, timing=Timing(table_seconds=0.0)) as local:
        port = local.url.rsplit(":", 1)[1]
        connection_host = f"{address}:{port}"
        assert "TableNames" in make_raw_client(local.url).list_tables()
        assert status_for_address(address, int(port), connection_host) == 200
        assert status_for_address(address, int(port), f"evil.example:{port}") == 403


def status_for_address(address: str, port: int, host: str) -> int:
    connection = http.client.HTTPConnection(address, port, timeout=10)
    try:
        connection.putrequest("POST", "/", skip_host=True)
        connection.putheader("Host", host)
        connection.putheader("X-Amz-Target", "DynamoDB_20120810.ListTables")
        connection.putheader("Content-Length", "2")
        connection.endheaders(b"{}")
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("localhost:8000", ("localhost", 8000)),
        ("[::1]:8000", ("::1", 8000)),
        ("127.0.0.1", ("127.0.0.1", None)),
        ("[::1", None),
        ("a:b", None),
        (":80", None),
    ],
)
def test_host_headers_are_split(header: str, parsed: tuple[str, int | None] | None) -> None:
    assert split_host(header) == parsed
