"""The OpenTelemetry demo's feature flags (served by flagd from the `flagd-config` ConfigMap).

AstronomyShop faults switch a flag on in the ConfigMap; components read the flags the way the demo does, through
flagd, so a flag change takes effect only once flagd has been restarted and re-read the ConfigMap.
"""

from __future__ import annotations

import json
from typing import Any

FLAG_DEFAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "adFailure": ({"on": True, "off": False}, "off"),
    "adHighCpu": ({"on": True, "off": False}, "off"),
    "adManualGc": ({"on": True, "off": False}, "off"),
    "cartFailure": ({"on": True, "off": False}, "off"),
    "imageSlowLoad": ({"5sec": 5000, "10sec": 10000, "off": 0}, "off"),
    "kafkaQueueProblems": ({"on": 100, "off": 0}, "off"),
    "loadGeneratorFloodHomepage": ({"on": 100, "off": 0}, "off"),
    "paymentFailure": ({"100%": 1, "90%": 0.95, "75%": 0.75, "50%": 0.5, "25%": 0.25, "10%": 0.1, "off": 0}, "off"),
    "paymentUnreachable": ({"on": True, "off": False}, "off"),
    "productCatalogFailure": ({"on": True, "off": False}, "off"),
    "recommendationCacheFailure": ({"on": True, "off": False}, "off"),
}


def flag_values(configmap: dict[str, Any] | None) -> dict[str, Any]:
    """Evaluate every flag's default variant from a flagd-config ConfigMap; missing or broken config → all off."""
    values = {name: variants[default] for name, (variants, default) in FLAG_DEFAULTS.items()}
    if not configmap:
        return values
    try:
        flags = json.loads((configmap.get("data") or {}).get("demo.flagd.json", "{}")).get("flags", {})
    except (json.JSONDecodeError, AttributeError):
        return values
    for name, flag in flags.items():
        if not isinstance(flag, dict) or flag.get("state") == "DISABLED":
            continue
        variants = flag.get("variants") or {}
        if flag.get("defaultVariant") in variants:
            values[name] = variants[flag["defaultVariant"]]
    return values


def set_flag(configmap: dict[str, Any], name: str, variant: str) -> None:
    """Set a flag's default variant in a flagd-config ConfigMap, in place."""
    doc = json.loads(configmap["data"]["demo.flagd.json"])
    doc["flags"][name]["defaultVariant"] = variant
    configmap["data"]["demo.flagd.json"] = json.dumps(doc, indent=2, sort_keys=True)
