"""``nova.compute.api.API``: what happens behind ``POST /servers`` (Essex).

The API process does not start anything. It checks the request, writes the instance to the
database with ``vm_state=building, task_state=scheduling`` and *casts* ``run_instance`` to
the scheduler over the message queue; the scheduler picks a host and casts to nova-compute
there. Here the database and the queue are in memory: ``rpc.cast`` only records messages.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from pastetrace_examples.common.state import store_for
from pastetrace_examples.common.wsgi import Conf, Fault
from pastetrace_examples.nova.context import RequestContext
from pastetrace_examples.nova.image import GlanceImageService

FLAVORS: dict[str, dict[str, Any]] = {
    "1": {"id": "1", "name": "m1.tiny", "ram": 512, "vcpus": 1, "disk": 0},
    "2": {"id": "2", "name": "m1.small", "ram": 2048, "vcpus": 1, "disk": 20},
    "3": {"id": "3", "name": "m1.medium", "ram": 4096, "vcpus": 2, "disk": 40},
}

LOG = logging.getLogger("nova.rpc")  # nova's rpc logs every cast, as here
API_LOG = logging.getLogger("nova.compute.api")


@dataclass
class FakeRPC:
    """``nova.rpc`` with nothing behind it: ``cast`` appends to ``messages``."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    delivered: int = 0  # how many messages fake_compute_host has consumed

    def cast(self, context: RequestContext, topic: str, msg: dict[str, Any]) -> None:
        """Fire and forget: no reply is awaited, as with the real AMQP cast."""
        LOG.info("cast to %s: %s", topic, msg["method"])
        self.messages.append({"topic": topic, "context": context.project_id, **msg})


@dataclass
class Backend:
    """The database tables the API touches, and the queue."""

    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    security_groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    rpc: FakeRPC = field(default_factory=FakeRPC)


def backend_for(conf: Conf) -> Backend:
    """One backend per paste file: /v1.1 and /v2 are two apps over the same database."""
    return store_for(conf, "nova.compute", Backend)


class API:
    """``compute_api``: create, snapshot, reboot and delete servers."""

    def __init__(self, conf: Conf) -> None:
        self.conf = conf
        self.db = backend_for(conf)
        self.image_service = GlanceImageService(conf)

    def get(self, context: RequestContext, instance_id: str) -> dict[str, Any]:
        instance = self.db.instances.get(instance_id)
        if instance is None or instance["deleted"] or instance["project_id"] != context.project_id:
            raise Fault(404, "itemNotFound", f"Instance {instance_id} could not be found.")
        return instance

    def get_all(self, context: RequestContext) -> list[dict[str, Any]]:
        return [
            i
            for i in self.db.instances.values()
            if not i["deleted"] and i["project_id"] == context.project_id
        ]

    def create(
        self, context: RequestContext, flavor_id: str, image_href: str, name: str
    ) -> dict[str, Any]:
        """``_create_instance``: quota, image, security group, database row, cast."""
        flavor = FLAVORS.get(str(flavor_id))
        if flavor is None:
            raise Fault(400, "badRequest", "Invalid flavorRef provided.")
        self._check_quota(context, flavor)
        image_id = image_href.rstrip("/").rsplit("/", 1)[-1]  # an id or a glance URL
        API_LOG.debug("asking glance for image %s", image_id)
        try:
            image = self.image_service.show(context, image_id)
        except Fault as fault:
            if fault.status != 404:
                raise
            raise Fault(400, "badRequest", "Can not find requested image") from None
        if image.get("status") != "active":
            raise Fault(400, "badRequest", f"Image {image_id} is not active.")
        if flavor["ram"] < image["min_ram"]:
            raise Fault(
                400, "badRequest", "Instance type's memory is too small for requested image."
            )
        self.ensure_default_security_group(context)
        instance = {
            "uuid": str(uuid.uuid4()),
            "display_name": name,
            "project_id": context.project_id,
            "user_id": context.user_id,
            "image_ref": image_id,
            "instance_type_id": flavor["id"],
            "vm_state": "building",
            "task_state": "scheduling",
            "security_groups": ["default"],
            "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "deleted": False,
        }
        self.db.instances[instance["uuid"]] = instance
        admin_password = secrets.token_urlsafe(9)
        request_spec = {
            "instance_properties": dict(instance),  # a copy: the message is a snapshot
            "instance_type": flavor,
            "image": image,
            "instance_uuids": [instance["uuid"]],
            "security_group": ["default"],
        }
        self.db.rpc.cast(
            context,
            self.conf.get("scheduler_topic", "scheduler"),
            {
                "method": "run_instance",
                "args": {
                    "topic": self.conf.get("compute_topic", "compute"),
                    "request_spec": request_spec,
                    "admin_password": admin_password,
                    "is_first_time": True,
                    "filter_properties": {},
                },
            },
        )
        return {**instance, "admin_password": admin_password}

    def _check_quota(self, context: RequestContext, flavor: dict[str, Any]) -> None:
        """``quota.allowed_instances``: count the project's instances and cores."""
        mine = self.get_all(context)
        max_instances = int(self.conf.get("quota_instances", "10"))
        max_cores = int(self.conf.get("quota_cores", "20"))
        cores = sum(FLAVORS[i["instance_type_id"]]["vcpus"] for i in mine)
        if len(mine) + 1 > max_instances:
            raise Fault(
                413,
                "overLimit",
                f"Quota exceeded: already used {len(mine)} of {max_instances} instances",
            )
        if cores + flavor["vcpus"] > max_cores:
            raise Fault(
                413, "overLimit", f"Quota exceeded: already used {cores} of {max_cores} cores"
            )

    def ensure_default_security_group(self, context: RequestContext) -> dict[str, Any]:
        """Every project gets a ``default`` group the first time it boots a server."""
        key = (context.project_id, "default")
        if key not in self.db.security_groups:
            self.db.security_groups[key] = {
                "id": len(self.db.security_groups) + 1,
                "name": "default",
                "description": "default",
                "project_id": context.project_id,
                "rules": [],
            }
        return self.db.security_groups[key]

    def _check_state(self, instance: dict[str, Any], action: str, allowed: set[str]) -> None:
        if instance["vm_state"] not in allowed:
            raise Fault(
                409,
                "conflictingRequest",
                f"Cannot '{action}' while instance is in vm_state {instance['vm_state']}",
            )

    def snapshot(
        self, context: RequestContext, instance_id: str, name: str, extra: dict[str, Any]
    ) -> dict[str, Any]:
        """``createImage``: a queued image record in glance, then nova-compute uploads to it."""
        instance = self.get(context, instance_id)
        self._check_state(instance, "createImage", {"active", "stopped"})
        properties = {
            "instance_uuid": instance["uuid"],
            "user_id": context.user_id,
            "image_type": "snapshot",
            **extra,
        }
        image = self.image_service.create(
            context, {"name": name, "is_public": False, "properties": properties}
        )
        instance["task_state"] = "image_snapshot"
        self.db.rpc.cast(
            context,
            self.conf.get("compute_topic", "compute"),
            {
                "method": "snapshot_instance",
                "args": {"instance_uuid": instance["uuid"], "image_id": image["id"]},
            },
        )
        # nova-compute's virt driver would now upload the disk; the fake driver does it here.
        disk = f"snapshot of {instance['uuid']}".encode()
        image = self.image_service.update(context, image["id"], {"name": name}, disk)
        instance["task_state"] = None
        return image

    def reboot(self, context: RequestContext, instance_id: str, reboot_type: str) -> None:
        instance = self.get(context, instance_id)
        self._check_state(instance, "reboot", {"active", "stopped"})
        instance["task_state"] = "rebooting"
        self.db.rpc.cast(
            context,
            self.conf.get("compute_topic", "compute"),
            {
                "method": "reboot_instance",
                "args": {"instance_uuid": instance["uuid"], "reboot_type": reboot_type},
            },
        )

    def delete(self, context: RequestContext, instance_id: str) -> None:
        """Never scheduled to a host: the row is simply marked deleted."""
        instance = self.get(context, instance_id)
        instance.update(deleted=True, vm_state="deleted", task_state=None)


def fake_compute_host(backend: Backend) -> int:
    """Play scheduler + nova-compute: every queued ``run_instance`` makes its server active.

    Not part of the API; tests and demos call it to move servers out of ``building``.
    """
    started = 0
    for message in backend.rpc.messages[backend.rpc.delivered :]:
        if message["method"] == "run_instance":
            for instance_id in message["args"]["request_spec"]["instance_uuids"]:
                backend.instances[instance_id].update(vm_state="active", task_state=None)
                started += 1
    backend.rpc.delivered = len(backend.rpc.messages)
    return started


__all__ = ["API", "FLAVORS", "Backend", "FakeRPC", "backend_for", "fake_compute_host"]
