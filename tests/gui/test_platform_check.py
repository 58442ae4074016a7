"""`nodeflow gui` on a machine where Qt cannot open a window: a message naming the missing
system packages and the command that installs them, and exit 2, instead of Qt's abort."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from nodeflow.gui import platform_check
from nodeflow.gui.platform_check import (
    NO_DISPLAY,
    check,
    debian_package,
    planned_platforms,
    report,
    x_display_address,
)

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffc5f1e8000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f3f0c600000)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3f0be00000)
"""


@pytest.fixture
def plugins(tmp_path):
    """A platform plugin folder Qt would use, holding the xcb and wayland plugin files."""
    folder = tmp_path / "platforms"
    folder.mkdir()
    for name in ("libqxcb.so", "libqwayland.so"):
        (folder / name).write_bytes(b"")
    return str(folder)


def ldd(output):
    calls = []

    def run(command):
        calls.append(command)
        return output

    run.calls = calls
    return run


def answers(*addresses):
    return lambda address: address in addresses


def test_missing_libraries_are_named_with_their_packages_and_one_install_command(plugins):
    run = ldd(LDD_OUTPUT)
    env = {"DISPLAY": ":0", "QT_QPA_PLATFORM_PLUGIN_PATH": plugins}
    problems = check(env, run, answers("\0/tmp/.X11-unix/X0"))
    assert run.calls == [["ldd", os.path.join(plugins, "libqxcb.so")]]
    assert [p.packages for p in problems] == [("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1")]
    text = report(problems, apt=True)
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1" in text
    assert text.splitlines()[-2:] == ["  sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1",
                                      "(Set NODEFLOW_NO_PLATFORM_CHECK=1 to start anyway.)"]
    assert "(Debian/Ubuntu: `sudo apt-get install libxcb-cursor0" in report(problems, apt=False)


def test_nothing_is_reported_when_the_plugin_loads_and_the_display_answers(plugins):
    env = {"DISPLAY": ":0", "QT_QPA_PLATFORM_PLUGIN_PATH": plugins}
    assert check(env, ldd("\tlibc.so.6 => /lib/libc.so.6\n"), answers("/tmp/.X11-unix/X0")) == []
    # no ldd (or a system without one): the check cannot tell, so it lets Qt try
    assert check(env, ldd(None), answers("/tmp/.X11-unix/X0")) == []


def test_no_display_at_all_says_how_to_get_one(plugins):
    problems = check({"QT_QPA_PLATFORM_PLUGIN_PATH": plugins}, ldd(""), answers())
    assert [p.text for p in problems] == [NO_DISPLAY]
    assert "xvfb-run nodeflow gui" in report(problems)
    # and the packages it will need there too, when they are missing
    problems = check({"QT_QPA_PLATFORM_PLUGIN_PATH": plugins}, ldd(LDD_OUTPUT), answers())
    assert problems[0].text == NO_DISPLAY and problems[1].packages[0] == "libxcb-cursor0"


def test_a_display_nobody_answers_on_is_named(plugins):
    env = {"DISPLAY": ":7", "QT_QPA_PLATFORM": "xcb", "QT_QPA_PLATFORM_PLUGIN_PATH": plugins}
    problems = check(env, ldd(""), answers("/tmp/.X11-unix/X0"))
    assert [p.text for p in problems] == ["no X server answers on DISPLAY=:7."]


def test_one_platform_that_can_start_is_enough(plugins):
    env = {"DISPLAY": ":0", "QT_QPA_PLATFORM_PLUGIN_PATH": plugins}
    assert check({**env, "QT_QPA_PLATFORM": "xcb;offscreen"}, ldd(LDD_OUTPUT), answers()) == []
    assert check({"QT_QPA_PLATFORM": "offscreen"}, ldd(LDD_OUTPUT), answers()) == []
    assert check({**env, "NODEFLOW_NO_PLATFORM_CHECK": "1"}, ldd(LDD_OUTPUT), answers()) == []
    # a Wayland session: Qt tries wayland first, and its compositor answers
    wayland = {**env, "XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-1",
               "XDG_RUNTIME_DIR": "/run/user/1000"}
    assert check(wayland, ldd(""), answers("/run/user/1000/wayland-1")) == []


@pytest.mark.parametrize("env, platforms", [
    ({}, ["xcb"]),
    ({"XDG_SESSION_TYPE": "wayland"}, ["wayland", "xcb"]),
    ({"QT_QPA_PLATFORM": "offscreen"}, ["offscreen"]),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "XDG_SESSION_TYPE": "x11"}, ["wayland", "xcb"]),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, ["vnc"]),
])
def test_the_platforms_qt_will_try(env, platforms):
    assert planned_platforms(env) == platforms


def test_package_names():
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libglib-2.0.so.0") == "libglib2.0-0"  # the table beats the rule
    assert debian_package("libXtst.so.6") == "libxtst6"  # Debian's naming rule
    assert debian_package("libfoo-1.so.3") == "libfoo-1-3"


def test_display_addresses():
    assert x_display_address(":1") == ["\0/tmp/.X11-unix/X1", "/tmp/.X11-unix/X1"]
    assert x_display_address("unix:0.0") == ["\0/tmp/.X11-unix/X0", "/tmp/.X11-unix/X0"]
    assert x_display_address("localhost:10.0") == ["localhost:6010"]  # ssh -X
    assert x_display_address("/private/tmp/launch/org.xquartz:0") == []  # not known: Qt decides


def test_connect_tells_a_listening_socket_from_a_stale_one(tmp_path):
    path = str(tmp_path / "X5")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    try:
        assert platform_check._connect(path)
    finally:
        server.close()
    assert not platform_check._connect(path)  # the file is left, nobody listens


def _gui(env_changes, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE",
                        "NODEFLOW_NO_PLATFORM_CHECK", "QT_QPA_PLATFORM_PLUGIN_PATH", "QT_PLUGIN_PATH")}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-m", "nodeflow", "gui"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)


def test_gui_without_the_xcb_libraries_exits_2_naming_the_packages(tmp_path):
    """A real `nodeflow gui` where the loader cannot find three xcb libraries (a stand-in
    ldd reports them missing, whatever this machine has installed)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ldd"
    fake.write_text("#!/bin/sh\nprintf '\\tlibxcb-cursor.so.0 => not found\\n"
                    "\\tlibxcb-icccm.so.4 => not found\\n\\tlibxcb-keysyms.so.1 => not found\\n'\n")
    fake.chmod(0o755)
    result = _gui({"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "QT_QPA_PLATFORM": "xcb",
                   "DISPLAY": ":0"}, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1" in result.stderr
    assert "apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in result.stderr


def test_gui_without_any_display_exits_2_with_a_message(tmp_path):
    result = _gui({}, tmp_path)
    assert result.returncode == 2, result.stderr
    assert NO_DISPLAY in result.stderr
