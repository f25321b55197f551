"""Addresses: which hosts only this machine can reach."""

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or `localhost`) can only be reached from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
