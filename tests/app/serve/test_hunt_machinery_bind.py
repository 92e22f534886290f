"""Machinery hunt: the pre-flight bind check must refuse exactly what uvicorn's own bind (asyncio's create_server)
refuses."""

from __future__ import annotations

import asyncio
import socket

import pytest

from app.serve.exposure import check_bindable


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


async def _uvicorn_binds(host: str, port: int) -> bool:
    """What uvicorn does without a socket given: asyncio's create_server on (host, port)."""
    try:
        server = await asyncio.get_running_loop().create_server(asyncio.Protocol, host=host, port=port)
    except OSError:
        return False
    server.close()
    await server.wait_closed()
    return True


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 on this machine")
def test_listening_on_all_ipv6_addresses_is_not_refused_for_a_port_taken_on_ipv4():
    """`--host ::` while another program listens on 0.0.0.0 (IPv4 only) at the port: uvicorn binds [::] as
    IPv6-only (asyncio sets IPV6_V6ONLY), so it would serve, but the trial bind was dual-stack, collided with the
    IPv4 listener and refused to start: "another server is listening there"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("0.0.0.0", 0))
        other.listen()
        port = other.getsockname()[1]
        assert asyncio.run(_uvicorn_binds("::", port))
        check_bindable("::", port)  # raised ListenError
