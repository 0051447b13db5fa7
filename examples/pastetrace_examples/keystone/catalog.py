"""``keystone.catalog.backends.templated.TemplatedCatalog``: the catalog from a text file.

Essex deployments without a catalog database listed their endpoints in
``default_catalog.templates``; keystone parsed it once and filled in ``$(...)s`` per token.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

Catalog = dict[str, dict[str, dict[str, str]]]  # region → service type → key → value


def parse_templates(text: str) -> Catalog:
    """``catalog.RegionOne.identity.publicURL = url`` lines → nested dict."""
    templates: Catalog = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        parts = key.strip().split(".")
        if len(parts) != 4 or parts[0] != "catalog":
            continue
        _, region, service, name = parts
        templates.setdefault(region, {}).setdefault(service, {})[name] = value.strip()
    return templates


class TemplatedCatalog:
    """Holds the parsed templates and the configuration used to fill them in."""

    def __init__(self, templates: Catalog, conf: Mapping[str, str]) -> None:
        self.templates = templates
        self.conf = dict(conf)

    @classmethod
    def from_file(cls, path: str | Path, conf: Mapping[str, str]) -> TemplatedCatalog:
        return cls(parse_templates(Path(path).read_text(encoding="utf-8")), conf)

    def get_catalog(self, user_id: str, tenant_id: str | None) -> Catalog:
        """The catalog for one user and tenant: ``$(public_port)s`` → ``5000``."""
        values = {**self.conf, "user_id": user_id, "tenant_id": tenant_id or ""}
        return {
            region: {
                service: {k: v.replace("$(", "%(") % values for k, v in refs.items()}
                for service, refs in services.items()
            }
            for region, services in self.templates.items()
        }


def format_catalog(catalog: Catalog) -> list[dict[str, Any]]:
    """The v2.0 ``serviceCatalog`` list: one entry per service, one endpoint per region."""
    services: dict[str, dict[str, Any]] = {}
    for region, by_service in catalog.items():
        for service, refs in by_service.items():
            entry = services.setdefault(
                service, {"type": service, "name": refs.get("name", service), "endpoints": []}
            )
            endpoint = {k: v for k, v in refs.items() if k.endswith("URL")}
            entry["endpoints"].append({"region": region, **endpoint})
    return list(services.values())


__all__ = ["Catalog", "TemplatedCatalog", "format_catalog", "parse_templates"]
