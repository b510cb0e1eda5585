"""DynamoDB's published limits on global secondary indexes (see ../shared/DOMAIN.md)."""

from __future__ import annotations

import re

MAX_INDEXES_PER_TABLE = 20
MAX_HASH_ATTRIBUTES = 4
MAX_RANGE_ATTRIBUTES = 4
MAX_NON_KEY_ATTRIBUTES_PER_INDEX = 20
MAX_PROJECTED_ATTRIBUTES_PER_TABLE = 100
NAME_MIN_LENGTH = 3
NAME_MAX_LENGTH = 255
ATTRIBUTE_NAME_MAX_LENGTH = 255
NAME_PATTERN = re.compile(r"[a-zA-Z0-9_.-]+")
