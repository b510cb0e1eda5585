"""Global tables (version 2019.11.21): which regions hold replicas of a table, the rules of
UpdateTable's ``ReplicaUpdates``, and what DescribeTable shows of them.

A global table is a set of same-named tables, one per region; every member is a full table
in its region and any member's endpoint may add, change or remove replicas ("control is
symmetric", DDB-TABLE-265). State only; acting on moto's tables in the other regions is
``replication.py``. Time moves only when asked (``settle``), as in ``control_plane``.

What AWS does is taken from the ack-api-quirks live captures (messages.py names each
finding); what is still unknown is a field of ``ReplicaRules`` with the safe side as its
default (docs/local.md lists them with the reasons).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from multigsi.local.dynamodb import messages
from multigsi.local.dynamodb.errors import AwsError

TableKey = tuple[str, str]  # (region, table name)
GLOBAL_TABLE_VERSION = "2019.11.21"
ACTIONS = ("Create", "Update", "Delete")
# Members an UpdateTable request may carry next to ReplicaUpdates (DDB-TABLE-224: none).
REQUEST_BASICS = frozenset({"TableName", "ReplicaUpdates"})


class ReplicaStatus(StrEnum):
    CREATING = "CREATING"
    UPDATING = "UPDATING"
    DELETING = "DELETING"
    ACTIVE = "ACTIVE"


STATUS_OF = {
    "Create": ReplicaStatus.CREATING,
    "Update": ReplicaStatus.UPDATING,
    "Delete": ReplicaStatus.DELETING,
}


class IndexStart(StrEnum):
    """When an index created in one region starts in the other regions."""

    ALLOCATED = "allocated"  # when the issuing region's allocation ends (DDB-TABLE-296: ~31 s in both)
    ACTIVE = "active"  # only once the issuing region's index is ACTIVE


@dataclass(frozen=True)
class ReplicaRules:
    """Choices where AWS's behaviour is not documented (or where a test wants the other side).

    ``require_stream``: refuse a replica Create on a table without a NEW_AND_OLD_IMAGES stream.
    Captured AWS enables the stream itself (DDB-TABLE-305), so off by default.
    ``builds_block_index_changes``: a GSI create/delete is refused (LimitExceededException,
    "Only 1 online index ...") while any replica still creates or deletes an index. Unknown; the
    safe side is to refuse, so a client must wait for every region.
    ``updating_during_index_build``: Replicas[].ReplicaStatus reads UPDATING while that region
    builds an index. Unknown; off, so a client must read each region's IndexStatus.
    ``index_start``: when a replica's copy of a new index starts (``IndexStart``).
    """

    require_stream: bool = False
    builds_block_index_changes: bool = True
    updating_during_index_build: bool = False
    index_start: IndexStart = IndexStart.ALLOCATED


@dataclass
class Replica:
    region: str
    status: ReplicaStatus
    until: float = 0.0  # when CREATING / UPDATING / DELETING ends
    settings: dict[str, Any] = field(default_factory=dict)  # overrides a Create/Update set


@dataclass
class GlobalTable:
    name: str
    members: dict[str, Replica] = field(default_factory=dict)  # by region, in creation order

    def busy(self) -> Replica | None:
        return next((m for m in self.members.values() if m.status is not ReplicaStatus.ACTIVE), None)


@dataclass(frozen=True)
class ReplicaAction:
    """One checked ReplicaUpdates element."""

    kind: str  # "Create" | "Update" | "Delete"
    region: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class Copy:
    """An item (or its absence) due in ``region`` at ``due``."""

    due: float
    region: str
    table: str
    key: dict[str, Any]
    item: dict[str, Any] | None


@dataclass
class GlobalTables:
    clock: Callable[[], float]
    rules: ReplicaRules = field(default_factory=ReplicaRules)
    groups: dict[str, GlobalTable] = field(default_factory=dict)  # by table name
    copies: list[Copy] = field(default_factory=list)  # replicated writes not yet delivered

    # --- time and membership ------------------------------------------------------------

    def settle(self) -> None:
        now = self.clock()
        for name, group in list(self.groups.items()):
            for region, member in list(group.members.items()):
                if member.status is ReplicaStatus.ACTIVE or member.until > now:
                    continue
                if member.status is ReplicaStatus.DELETING:
                    del group.members[region]
                else:
                    member.status = ReplicaStatus.ACTIVE
            if len(group.members) < 2 and group.busy() is None:
                del self.groups[name]  # the last replica left: a regional table again (DDB-TABLE-228)

    def group_of(self, key: TableKey) -> GlobalTable | None:
        self.settle()
        group = self.groups.get(key[1])
        return group if group is not None and key[0] in group.members else None

    def others(self, key: TableKey) -> list[str]:
        """The other regions whose table receives this one's writes and index changes."""
        group = self.group_of(key)
        if group is None:
            return []
        return [r for r, m in group.members.items() if r != key[0] and m.status is not ReplicaStatus.DELETING]

    def dropped(self, key: TableKey) -> None:
        """DeleteTable of a member: that region leaves the group."""
        group = self.group_of(key)
        if group is not None:
            del group.members[key[0]]
            self.settle()

    def forget_all(self) -> None:
        self.groups.clear()
        self.copies.clear()

    # --- ReplicaUpdates -----------------------------------------------------------------------

    def check(self, key: TableKey, request: Mapping[str, Any], index_work: bool) -> ReplicaAction:
        """The one action a ReplicaUpdates request carries, or DynamoDB's refusal. ``index_work``:
        an index is being created or deleted in some region of the group."""
        # Captured (DDB-TABLE-224), so not a choice: no GlobalSecondaryIndexUpdates (or any
        # other change) next to ReplicaUpdates.
        if any(value is not None for member, value in request.items() if member not in REQUEST_BASICS):
            raise _invalid(messages.REPLICA_ONLY_OPERATION)
        actions = _actions(request.get("ReplicaUpdates"))
        if len({(a.kind, a.region) for a in actions}) > 1:  # two identical Creates are one (DDB-TABLE-224)
            raise _invalid(messages.REPLICA_ONE_AT_A_TIME)
        action = actions[0]
        group = self.group_of(key)
        members = group.members if group is not None else {}
        if action.kind != "Update" and action.region == key[0]:
            raise _invalid(messages.REPLICA_LOCAL_REGION)
        if action.kind == "Create" and action.region in members:  # (the local region is checked above)
            raise _invalid(messages.REPLICA_EXISTS.format(name=key[1]))
        if action.kind != "Create" and action.region not in members:
            raise _invalid(messages.REPLICA_NOT_MEMBER.format(regions=action.region))
        if (group is not None and group.busy() is not None) or index_work:
            raise AwsError("ResourceInUseException", messages.REPLICA_IN_USE)
        return action

    def check_other_update(self, key: TableKey, request: Mapping[str, Any]) -> None:
        """An UpdateTable without ReplicaUpdates on a member: refused while a replica is
        CREATING/UPDATING/DELETING (DDB-TABLE-227), and a member's stream stays on."""
        group = self.group_of(key)
        if group is None:
            return
        stream = request.get("StreamSpecification")
        if isinstance(stream, Mapping) and stream.get("StreamEnabled") is False:
            raise _invalid(messages.REPLICA_STREAM_DISABLE)
        if group.busy() is not None:
            raise AwsError("ResourceInUseException", messages.REPLICA_IN_USE)

    def check_stream(self, description: Mapping[str, Any]) -> None:
        stream = description.get("StreamSpecification") or {}
        if self.rules.require_stream and not (
            stream.get("StreamEnabled") and stream.get("StreamViewType") == "NEW_AND_OLD_IMAGES"
        ):
            raise _invalid(messages.REPLICA_STREAM_REQUIRED)

    def begin(self, key: TableKey, action: ReplicaAction, seconds: float) -> None:
        """The action was accepted: the target region's replica changes status for ``seconds``."""
        now = self.clock()
        group = self.groups.setdefault(key[1], GlobalTable(key[1]))
        group.members.setdefault(key[0], Replica(key[0], ReplicaStatus.ACTIVE))
        member = group.members.setdefault(action.region, Replica(action.region, ReplicaStatus.CREATING))
        member.status = STATUS_OF[action.kind]
        member.until = now + seconds
        if action.kind != "Delete":
            _merge_settings(member.settings, action.settings)

    # --- what DescribeTable shows ---------------------------------------------------------

    def describe(
        self, key: TableKey, description: dict[str, Any], building: Callable[[TableKey], bool]
    ) -> dict[str, Any]:
        """GlobalTableVersion and Replicas[]: the OTHER members, as a member's DescribeTable
        lists them (V2globaltables_versions, "Determining the version": describe-table in
        us-east-2 lists us-west-2). Index names come from the table; ReplicaStatusPercentProgress
        is never shown (DDB-TABLE-226: never present)."""
        group = self.group_of(key)
        if group is None:
            return description
        indexes = [index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])]
        replicas = []
        for region, member in group.members.items():
            if region == key[0]:
                continue
            status = member.status
            if (
                status is ReplicaStatus.ACTIVE
                and self.rules.updating_during_index_build
                and building((region, key[1]))
            ):
                status = ReplicaStatus.UPDATING
            replicas.append(_replica_description(member, status, indexes))
        description["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
        description["Replicas"] = replicas
        return description


def _replica_description(member: Replica, status: ReplicaStatus, indexes: list[str]) -> dict[str, Any]:
    shown: dict[str, Any] = {"RegionName": member.region, "ReplicaStatus": str(status)}
    for setting in ("KMSMasterKeyId", "ProvisionedThroughputOverride", "OnDemandThroughputOverride"):
        if setting in member.settings:
            shown[setting] = member.settings[setting]
    if "TableClassOverride" in member.settings:
        shown["ReplicaTableClassSummary"] = {"TableClass": member.settings["TableClassOverride"]}
    overrides = member.settings.get("GlobalSecondaryIndexes", {})
    shown["GlobalSecondaryIndexes"] = [{"IndexName": name, **overrides.get(name, {})} for name in indexes]
    return shown


def _merge_settings(settings: dict[str, Any], wanted: Mapping[str, Any]) -> None:
    """Per-index overrides merge by index (DDB-TABLE-250: unnamed indexes keep theirs)."""
    for setting, value in wanted.items():
        if setting == "GlobalSecondaryIndexes":
            by_index = settings.setdefault("GlobalSecondaryIndexes", {})
            for index in value or []:
                if isinstance(index, Mapping) and isinstance(index.get("IndexName"), str):
                    by_index[index["IndexName"]] = {k: v for k, v in index.items() if k != "IndexName"}
        elif setting != "RegionName":
            settings[setting] = value


def _actions(updates: object) -> list[ReplicaAction]:
    """The ReplicaUpdates elements, each with exactly one action naming a region."""
    if not isinstance(updates, list) or not updates:
        raise _invalid(messages.REPLICA_NO_ACTION)
    actions = []
    for update in updates:
        present = [kind for kind in ACTIONS if isinstance(update, Mapping) and update.get(kind) is not None]
        if not present:
            raise _invalid(messages.REPLICA_NO_ACTION)
        if len(present) > 1:
            raise _invalid(messages.REPLICA_ACTION_TYPES)
        body = update[present[0]]
        region = body.get("RegionName") if isinstance(body, Mapping) else None
        if not isinstance(region, str) or not region:
            # An empty RegionName is AccessDeniedException (DDB-TABLE-223), its message not captured.
            raise AwsError("AccessDeniedException", None)
        actions.append(ReplicaAction(present[0], region, dict(body)))
    return actions


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)
