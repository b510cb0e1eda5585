"""A fuzz of the handler with crafted response URLs and continuations.

Properties, for every input: the handler never raises; it never connects to a host that is
not CloudFormation's response bucket on S3; and it never hands off a continuation past its
limits (hop below MAX_HOPS, one more than the one it got, the first invocation's start kept).

How it can see a connection: DNS is the one thing replaced. Every name (``attacker.example``
and ``…s3.amazonaws.com`` alike) resolves to a loopback listener that records each
connection, and the names asked for are recorded too; IP literals (the local DynamoDB
endpoint) resolve as usual. Crafted URLs also aim at the listener directly with
``127.0.0.1:<port>`` in their userinfo. Hand-offs go to a second listener standing in for
the Lambda Invoke API, which records them and runs nothing. There is no loopback override:
no URL here may be answered except on S3.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multigsi.cloudformation.custom_resource.event import CONTINUATION_KEY
from multigsi.cloudformation.custom_resource.handler import MAX_HOPS, CustomResourceHandler
from multigsi.engine.clock import SystemClock
from multigsi.local.cloudformation.lambda_service import LambdaContext
from tests.conftest import create_table
from tests.integration.loopback import RecordingListener
from tests.integration.test_cfn import properties

BUCKET = "cloudformation-custom-resource-response-useast1"
# Independent of the code under test: the S3 hosts a us-east-1 answer may reach.
CLOUDFORMATION_HOST = re.compile(
    rf"({BUCKET}\.)?(s3|s3-external-1|s3[.-]us-east-1|s3\.dualstack\.us-east-1|s3-fips(\.dualstack)?\.us-east-1)"
    r"\.amazonaws\.com"
)
GOOD_HOSTS = [f"{BUCKET}.s3.amazonaws.com", f"{BUCKET}.s3.us-east-1.amazonaws.com", "s3.amazonaws.com"]
ATTACKER_HOSTS = [
    "127.0.0.1:{port}",
    "localhost:{port}",
    "attacker.example",
    "attacker.example:{port}",
    "attacker-bucket.s3.amazonaws.com",
    "cloudformation-custom-resource-response-attacker.s3.amazonaws.com",
    f"{BUCKET}.s3.us-west-2.amazonaws.com",
    "ec2-1-2-3-4.compute-1.amazonaws.com",
    f"{BUCKET}.s3.amazonaws.com.attacker.example",
    "[::1",
    "[::1]:{port}",
]
JOINERS = [
    "@",
    "\\@",
    "%5C@",
    "\\\\@",
    "\uff03@",
    "\uff20",
    "#@",
    "?@",
    "\t@",
    " @",
    ":@",
    "%40",
    "/@",
    "\u3002",
]
PATHS = ["/k?X-Amz-Signature=sig", f"/{BUCKET}/k", "/../attacker/k", "", "?q", "/\ud800"]
SCHEMES = ["https", "http", "HTTPS", "ftp", "file"]


def urls() -> st.SearchStrategy[str]:
    scheme, good, bad, joiner, path = (
        st.sampled_from(SCHEMES),
        st.sampled_from(GOOD_HOSTS),
        st.sampled_from(ATTACKER_HOSTS),
        st.sampled_from(JOINERS),
        st.sampled_from(PATHS),
    )
    return st.one_of(
        st.sampled_from([f"https://{host}/k?X-Amz-Signature=sig" for host in GOOD_HOSTS[:2]]),
        st.builds(lambda s, g, p: f"{s}://{g}{p}", scheme, good, path),
        st.builds(lambda s, b, j, g, p: f"{s}://{b}{j}{g}{p}", scheme, bad, joiner, good, path),
        st.builds(lambda s, g, j, b, p: f"{s}://{g}{j}{b}{p}", scheme, good, joiner, bad, path),
        st.builds(lambda s, b, p: f"{s}://{b}{p}", scheme, bad, path),
        st.text(max_size=60).map(lambda t: f"https://{t}"),
        st.text(max_size=60),
    )


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.just("1700000000"),
    st.booleans(),
    st.none(),
)


def continuations() -> st.SearchStrategy[Any]:
    now = time.time()
    fresh = st.floats(min_value=now - 120, max_value=now)
    hops = st.one_of(st.integers(min_value=-5, max_value=MAX_HOPS + 5), NUMBERS)
    return st.one_of(
        st.none(),
        st.fixed_dictionaries({"FirstInvokedAt": fresh, "Hop": st.integers(0, MAX_HOPS - 1)}),
        st.fixed_dictionaries({"FirstInvokedAt": st.one_of(fresh, NUMBERS), "Hop": hops, "Changed": NUMBERS}),
        st.text(max_size=10),
    )


class NoWaitClock(SystemClock):
    """Real time, but the PUT retries' backoff does not sleep (the fuzz checks where, not when)."""

    def sleep(self, seconds: float) -> None:
        return None


@pytest.fixture
def dns_to(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[str]]:
    """Every DNS name resolves to the listener's port on loopback; returns the names asked."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def point(port: int) -> list[str]:
        def getaddrinfo(host: Any, service: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            try:
                socket.inet_aton(name)
                return real(host, service, *args, **kwargs)  # an IP literal: as usual
            except OSError:
                asked.append(name)
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return asked

    return point


@pytest.fixture
def listeners() -> Iterator[tuple[RecordingListener, RecordingListener]]:
    with RecordingListener() as answers, RecordingListener(status=202) as invocations:
        yield answers, invocations


@pytest.mark.parametrize(
    "examples",
    [
        # Every URL family and joiner is drawn from small lists: 80 inputs reach each family
        # several times (about 5 s).
        80,
        pytest.param(400, marks=pytest.mark.slow),  # the thorough fuzz: more combinations
    ],
)
def test_crafted_urls_and_continuations(
    examples: int,
    cloudformation_factory: Any,
    client: Any,
    table_name: str,
    listeners: tuple[RecordingListener, RecordingListener],
    dns_to: Callable[[int], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers, invocations = listeners
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    monkeypatch.delenv("MULTIGSI_RESPONSE_URL_HOSTS")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", f"http://127.0.0.1:{invocations.port}")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    asked = dns_to(answers.port)
    service = cloudformation.lambda_service
    base = cloudformation.event("Create", properties(table_name), logical_id="Indexes")
    seen = {"inputs": 0, "answered": 0, "handed_off": 0}

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(url=urls(), carried=continuations())
    def one(url: str, carried: Any) -> None:
        event = {**base, "ResponseURL": url.replace("{port}", str(answers.port))}
        if carried is not None:
            event[CONTINUATION_KEY] = carried
        before_connections, before_asked = len(answers.recorded()), len(asked)
        before_invocations = len(invocations.recorded())
        context = LambdaContext(service.function_name, service.arn, 30.0)
        result = CustomResourceHandler(clock=NoWaitClock()).handle(event, context)  # must not raise
        seen["inputs"] += 1
        names = asked[before_asked:]
        assert all(CLOUDFORMATION_HOST.fullmatch(name) for name in names), (url, names)
        if not names:
            assert len(answers.recorded()) == before_connections, f"{url!r} reached the listener directly"
        seen["answered"] += bool(names)
        hand_offs = invocations.recorded()[before_invocations:]
        assert len(hand_offs) == (1 if result.get("HandedOff") else 0)
        for recorded in hand_offs:
            seen["handed_off"] += 1
            payload = json.loads(recorded.first_bytes.partition(b"\r\n\r\n")[2])
            sent = payload[CONTINUATION_KEY]
            if carried is None:  # the first invocation starts the chain
                assert sent["Hop"] == 1 and abs(sent["FirstInvokedAt"] - time.time()) < 60
            else:
                assert isinstance(carried, dict), "only a valid continuation (or none) is continued"
                assert sent["Hop"] == carried["Hop"] + 1 < MAX_HOPS
                assert sent["FirstInvokedAt"] == carried["FirstInvokedAt"]

    one()
    print(f"fuzz: {seen}")
    assert seen["inputs"] >= examples and seen["answered"] > 0, seen
