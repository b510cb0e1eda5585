"""The region a request to the local endpoint is answered in: its signature's."""

from __future__ import annotations

from multigsi.local.dynamodb.regions import DEFAULT_REGION, in_region, region_of

SIGNED = {
    "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=local/20261204/eu-west-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc",
    "HTTP_USER_AGENT": "Boto3/1.40 md/region/us-west-2",
}


def test_the_region_is_the_signatures() -> None:
    assert region_of(SIGNED) == "eu-west-1"
    assert region_of({}) == DEFAULT_REGION


def test_a_request_moved_to_another_region_keeps_its_key_and_loses_its_user_agent() -> None:
    moved = in_region(SIGNED, "ap-south-1")
    assert region_of(moved) == "ap-south-1"
    assert moved["HTTP_AUTHORIZATION"].startswith("AWS4-HMAC-SHA256 Credential=local/20261204/ap-south-1/")
    assert "HTTP_USER_AGENT" not in moved
    assert region_of(SIGNED) == "eu-west-1"  # the original is untouched
    assert region_of(in_region({}, "us-west-2")) == "us-west-2"
