"""Which ResponseURLs the handler answers, parsed the way the sender connects. No network."""

from __future__ import annotations

import pytest

from multigsi.cloudformation.custom_resource.response_url import (
    Refused,
    ResponseTarget,
    check,
    listed_loopback_hosts,
)

BUCKET = "cloudformation-custom-resource-response-useast1"

# Shapes CloudFormation uses (public fixtures: virtual-hosted global and regional, the dash
# form, China's partition) and the S3 endpoint forms the same bucket is reachable through.
ACCEPTED = [
    ("us-east-1", f"https://{BUCKET}.s3.amazonaws.com/arn%3Aaws%3Acloudformation%3Aus-east-1%3A1%3Astack/s/1%7CR%7Cid?X-Amz-Signature=a"),
    ("us-east-1", f"https://{BUCKET}.s3.us-east-1.amazonaws.com/k?signature=x"),
    ("us-east-1", f"https://{BUCKET}.s3-external-1.amazonaws.com/k"),
    ("us-east-1", f"https://{BUCKET}.s3.amazonaws.com:443/k"),
    ("us-east-1", f"https://s3.amazonaws.com/{BUCKET}/k?X-Amz-Signature=a"),
    ("eu-west-1", "https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/k"),
    ("eu-west-1", "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/k"),
    ("eu-west-1", "https://cloudformation-custom-resource-response-euwest1.s3.dualstack.eu-west-1.amazonaws.com/k"),
    ("eu-west-1", "https://s3.eu-west-1.amazonaws.com/cloudformation-custom-resource-response-euwest1/k"),
    ("eu-west-1", "https://s3-eu-west-1.amazonaws.com/cloudformation-custom-resource-response-euwest1/k"),
    ("cn-north-1", "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/arn%3Aaws-cn%3A"),
    ("cn-north-1", "https://s3.cn-north-1.amazonaws.com.cn/cloudformation-custom-resource-response-cnnorth1/k"),
    ("us-gov-west-1", "https://cloudformation-custom-resource-response-usgovwest1.s3-us-gov-west-1.amazonaws.com/k"),
    ("us-gov-west-1", "https://cloudformation-custom-resource-response-usgovwest1.s3-fips.us-gov-west-1.amazonaws.com/k"),
]  # fmt: skip

REFUSED = [
    # the parser differential: urlsplit saw the Amazon host, urllib3 connected to evil.example
    f"https://evil.example\\@{BUCKET}.s3.amazonaws.com/",
    f"https://evil.example%5C@{BUCKET}.s3.amazonaws.com/",
    f"https://user:secret@{BUCKET}.s3.amazonaws.com/k",
    f"https://{BUCKET}.s3.amazonaws.com\t/k",
    f"https://{BUCKET}.s3.amazonaws.com /k",
    f"https://{BUCKET}.s3.amazonaws.com/k\n",
    f"https://{BUCKET}.s3.amazonaws.com\uff03@evil.example/",  # fullwidth '#': NFKC makes it '#'
    f"https://{BUCKET}.s3.amazonaws.com/\ud800",
    f"https://{BUCKET}.s3.amazonaws.com#@evil.example/",
    "https://[::1/x",
    "https://[::1]/x",
    f"http://{BUCKET}.s3.amazonaws.com/k",
    f"https://{BUCKET}.s3.amazonaws.com:8443/k",
    f"https://{BUCKET}.s3.amazonaws.com./k",
    f"ftp://{BUCKET}.s3.amazonaws.com/k",
    f"//{BUCKET}.s3.amazonaws.com/k",
    "file:///etc/passwd",
    # Amazon hosts an attacker can own or point somewhere
    "https://attacker-bucket.s3.amazonaws.com/k",
    "https://cloudformation-custom-resource-response-attacker.s3.amazonaws.com/k",
    "https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/k",  # another region
    "https://ec2-1-2-3-4.compute-1.amazonaws.com/k",
    "https://abc123.execute-api.us-east-1.amazonaws.com/k",
    f"https://{BUCKET}.s3.amazonaws.com.evil.example/k",
    f"https://{BUCKET}.evil.example/k",
    f"https://{BUCKET}.s3.us-west-2.amazonaws.com/k",  # another region's endpoint
    f"https://{BUCKET}.s3.amazonaws.com.cn/k",
    "https://s3.amazonaws.com/attacker-bucket/k",
    f"https://s3.amazonaws.com/{BUCKET}/../attacker-bucket/k",
    f"https://s3.amazonaws.com/{BUCKET}",
    "https://amazonaws.com.evil.example/a",
    "https://evil.example/?x=.amazonaws.com",
    "http://127.0.0.1:9000/responses/x",
    f"https://{BUCKET}.s3.amazonaws.com/" + "k" * 9000,
]


@pytest.mark.parametrize(("region", "url"), ACCEPTED)
def test_cloudformation_response_urls_are_accepted(region: str, url: str) -> None:
    target = check(url, region=region, loopback=frozenset())
    assert isinstance(target, ResponseTarget), target
    assert (target.scheme, target.port) == ("https", 443)
    assert url.startswith(f"https://{target.host}") and url.endswith(target.target)


@pytest.mark.parametrize("url", REFUSED)
def test_everything_else_is_refused_without_raising(url: str) -> None:
    outcome = check(url, region="us-east-1", loopback=frozenset())
    assert isinstance(outcome, Refused), outcome
    assert "secret" not in outcome.reason and "@" not in outcome.reason, "userinfo is never quoted"
    if "@" in url or "\\" in url:  # the host the old check named was not the one connected to
        assert "amazonaws" not in outcome.reason


def test_the_bucket_follows_the_function_region(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/k"
    monkeypatch.delenv("MULTIGSI_RESPONSE_URL_HOSTS", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert isinstance(check(url), ResponseTarget)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert isinstance(check(url), Refused)
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert "region is unknown" in check(url).reason  # type: ignore[union-attr]


def test_the_loopback_override_is_the_operators_and_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MULTIGSI_RESPONSE_URL_HOSTS", "127.0.0.1, localhost, 10.0.0.1, evil.example")
    assert listed_loopback_hosts() == {"127.0.0.1", "localhost"}
    target = check("http://127.0.0.1:9000/responses/x?s=1", region="us-east-1")
    assert target == ResponseTarget("http", "127.0.0.1", 9000, "/responses/x?s=1")
    for url in (
        "http://10.0.0.1/x",
        "http://evil.example/x",
        "http://evil.example\\@127.0.0.1:9000/x",
        "http://evil.example@127.0.0.1:9000/x",
        "http://127.0.0.1:9000@evil.example/x",
        "http://127.0.0.1.evil.example/x",
        "http://[::1]:9000/x",
    ):
        assert isinstance(check(url, region="us-east-1"), Refused), url
    monkeypatch.delenv("MULTIGSI_RESPONSE_URL_HOSTS")
    assert isinstance(check("http://127.0.0.1:9000/responses/x", region="us-east-1"), Refused)


@pytest.mark.parametrize("url", [None, 7, b"https://x", ""])
def test_a_url_that_is_not_a_string_is_refused(url: object) -> None:
    assert isinstance(check(url, region="us-east-1"), Refused)
