"""HAProxy's configuration of `make cluster` (bot/launcher/balancer.py `cluster_config`): valid for Debian's haproxy,
sticky on Rasa's frontend alone, the monitor URI waiting for every server. The cluster itself: tests/cluster."""

from __future__ import annotations

import re
import subprocess

import pytest

from bot.launcher.balancer import cluster_config, main
from tests.launcher.test_balancer import HAPROXY, _missing

NODES = {"rasa": ["127.0.0.2:5005", "127.0.0.3:5005"], "actions": ["127.0.0.2:5055", "127.0.0.3:5055"],
         "core": ["127.0.0.2:8000", "127.0.0.3:8000"]}


def text() -> str:
    return cluster_config("127.0.0.1:5005", "127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1:5055", NODES)


def backend(config: str, name: str) -> str:
    return re.search(rf"^backend {name}\n(.*?)(?=^\S|\Z)", config, re.S | re.M).group(1)


def test_only_rasa_sticks_and_every_server_is_named_by_its_node():
    config = text()
    assert "stick match url_param(sid)" in backend(config, "rasa")
    for role in ("core", "actions"):
        assert "stick" not in backend(config, role) and "option http-server-close" in backend(config, role)
        for number, node in enumerate(NODES[role], 1):
            assert f"server {role}-{number} {node}" in backend(config, role)
    assert "monitor fail if { nbsrv(rasa) lt 2 } || { nbsrv(actions) lt 2 } || { nbsrv(core) lt 2 }" in config
    assert config.count("default_backend core") == 2  # the public and the internal frontend


def test_a_role_without_servers_is_refused(capsys):
    with pytest.raises(ValueError):
        cluster_config("127.0.0.1:5005", "127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1:5055", {**NODES, "core": []})
    assert main(["cluster", "--rasa", "127.0.0.1:5005"]) == 2
    assert "missing" in capsys.readouterr().err


@pytest.mark.skipif(_missing(), reason="haproxy is missing")
def test_haproxy_accepts_it(tmp_path):
    path = tmp_path / "cluster.cfg"
    path.write_text(text())
    done = subprocess.run([HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
