"""Can Qt open a window here?  Checked by ``nodeflow gui`` before Qt is loaded.

When Qt's platform plugin cannot start (a system library it links is missing, or there
is no display to connect to), Qt aborts the whole process with a core dump (exit 134)
and a message that names neither the missing package nor the fix.  This module looks
first and says what to do, so that ``nodeflow gui`` can exit 2 with that message:

- the platforms Qt will try: ``QT_QPA_PLATFORM`` (a ``;``-separated list), else xcb, with
  wayland first in a Wayland session, as Qt chooses;
- for xcb and wayland: the plugin's shared libraries that the dynamic loader cannot find
  (``ldd`` on the plugin file), mapped to the Debian/Ubuntu packages that ship them, and
  whether a display server answers (the X socket of ``DISPLAY``, the Wayland socket);
- other platforms (offscreen, vnc, eglfs, ...) are left to Qt.

One platform that passes is enough.  Where a check cannot be made (no ``ldd``, a
``DISPLAY`` form not understood) it passes: the check only refuses what would abort.
``NODEFLOW_NO_PLATFORM_CHECK=1`` skips it altogether.

Standard library only: it runs before PySide6 is imported.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

SKIP_VARIABLE = "NODEFLOW_NO_PLATFORM_CHECK"

# Shared library -> the Debian/Ubuntu package that ships it, for the libraries Qt's xcb and
# wayland plugins link that a minimal system may lack.  Others: see debian_package().
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}

# platform name -> its plugin file; platforms not listed are not checked
PLUGINS = {"xcb": "libqxcb.so", "wayland": "libqwayland.so", "wayland-egl": "libqwayland.so"}

NO_DISPLAY = (
    "there is no display to open a window on: none of DISPLAY (X11), WAYLAND_DISPLAY "
    "(Wayland) and QT_QPA_PLATFORM is set. Start it from a desktop session, over "
    "`ssh -X`, or under a virtual display (`xvfb-run nodeflow gui`)."
)

Run = Callable[[list[str]], str | None]  # a command -> its standard output, None if it cannot run
Connect = Callable[[str], bool]  # an address (see _connect) -> whether a server accepts


@dataclass(frozen=True)
class Problem:
    """Why one platform cannot start, and the system packages that would fix it."""

    text: str
    packages: tuple[str, ...] = ()


def planned_platforms(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order."""
    value = env.get("QT_QPA_PLATFORM", "").strip()
    if value:  # "xcb", "wayland;xcb", "offscreen:fontengine=freetype"
        return [part.split(":", 1)[0].strip() for part in value.split(";") if part.strip()]
    if env.get("XDG_SESSION_TYPE") == "wayland":
        return ["wayland", "xcb"]
    return ["xcb"]


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships a library: the table, else Debian's naming rule
    (``libfoo.so.3`` -> ``libfoo3``, ``libfoo-2.so.1`` -> ``libfoo-2-1``)."""
    if soname in DEBIAN_PACKAGES:
        return DEBIAN_PACKAGES[soname]
    match = re.fullmatch(r"(.+)\.so\.(\d+)(?:\.\d+)*", soname)
    if not match:
        return soname
    name, version = match.groups()
    return (f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}").lower()


def plugin_file(platform: str, env: Mapping[str, str]) -> Path | None:
    """The plugin file Qt would load for ``platform`` (its plugin paths, then PySide6's)."""
    name = PLUGINS.get(platform)
    if name is None:
        return None
    folders = [env.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")]
    folders += [os.path.join(p, "platforms") for p in env.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    spec = find_spec("PySide6")  # finds the package without importing Qt
    if spec is not None and spec.submodule_search_locations:
        folders += [os.path.join(p, "Qt", "plugins", "platforms") for p in spec.submodule_search_locations]
    for folder in folders:
        if folder and os.path.isfile(os.path.join(folder, name)):
            return Path(folder, name)
    return None


def missing_libraries(plugin: Path, run: Run) -> list[str]:
    """Shared libraries of ``plugin`` (and of the libraries it links) that cannot be found."""
    output = run(["ldd", str(plugin)])
    if output is None:
        return []
    missing = re.findall(r"^\s*(\S+)\s+=>\s+not found", output, re.MULTILINE)
    return list(dict.fromkeys(missing))


def x_display_address(display: str) -> list[str]:
    """Where the X server of ``display`` listens, as xcb tries it: the abstract and the file
    socket for a local display, ``host:port`` for a remote one; [] for a form not known."""
    match = re.fullmatch(r"(?P<host>[A-Za-z0-9_.\-]*):(?P<number>\d+)(?:\.\d+)?", display)
    if not match:
        return []
    host, number = match["host"], int(match["number"])
    if host in ("", "unix"):
        return [f"\0/tmp/.X11-unix/X{number}", f"/tmp/.X11-unix/X{number}"]
    return [f"{host}:{6000 + number}"]


def wayland_socket(env: Mapping[str, str]) -> str:
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    return name if os.path.isabs(name) else os.path.join(env.get("XDG_RUNTIME_DIR", ""), name)


def platform_problems(platform: str, env: Mapping[str, str], run: Run, connect: Connect) -> list[Problem]:
    """What stops ``platform`` from starting ([] when nothing we can see)."""
    problems = []
    plugin = plugin_file(platform, env)
    if plugin is not None:
        missing = missing_libraries(plugin, run)
        if missing:
            problems.append(Problem(
                f"Qt's {platform} platform plugin needs system libraries that are missing: "
                f"{', '.join(missing)}.",
                tuple(dict.fromkeys(debian_package(m) for m in missing))))
    if platform == "xcb":
        display = env.get("DISPLAY", "")
        addresses = x_display_address(display)
        if not display:
            problems.append(Problem("DISPLAY is not set: there is no X display to open a window on."))
        elif addresses and not any(connect(a) for a in addresses):
            problems.append(Problem(f"no X server answers on DISPLAY={display}."))
    elif platform in ("wayland", "wayland-egl"):
        path = wayland_socket(env)
        if not connect(path):
            problems.append(Problem(f"no Wayland compositor answers on {path}."))
    return problems


def check(env: Mapping[str, str] | None = None, run: Run | None = None,
          connect: Connect | None = None) -> list[Problem]:
    """Problems that would make Qt abort at start-up; [] when one planned platform can start."""
    env = os.environ if env is None else env
    run = run or _run
    connect = connect or _connect
    if env.get(SKIP_VARIABLE) or not sys.platform.startswith("linux"):
        return []
    if not any(env.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        libraries = [p for p in platform_problems("xcb", env, run, connect) if p.packages]
        return [Problem(NO_DISPLAY), *libraries]
    found: list[Problem] = []
    for platform in planned_platforms(env):
        problems = platform_problems(platform, env, run, connect)
        if not problems:
            return []
        found += problems
    return found


def report(problems: list[Problem], apt: bool | None = None) -> str:
    """The message ``nodeflow gui`` prints: each problem, then the one install command."""
    apt = shutil.which("apt-get") is not None if apt is None else apt
    lines = ["nodeflow gui: Qt cannot open a window here:"]
    lines += [f"  - {p.text}" for p in problems]
    packages = list(dict.fromkeys(pkg for p in problems for pkg in p.packages))
    if packages:
        command = "sudo apt-get install " + " ".join(packages)
        if apt:
            lines += ["Install the missing system packages with:", f"  {command}"]
        else:
            lines += ["Install the packages that provide these libraries with your system's package "
                      f"manager (Debian/Ubuntu: `{command}`)."]
    lines.append(f"(Set {SKIP_VARIABLE}=1 to start anyway.)")
    return "\n".join(lines)


def _run(command: list[str]) -> str | None:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def _connect(address: str) -> bool:
    """Whether a server accepts a connection on a Unix socket path (a leading NUL: an
    abstract one) or a ``host:port``."""
    try:
        if address.startswith("\0") or address.startswith("/") or ":" not in address:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(3)
                sock.connect(address)
        else:
            host, port = address.rsplit(":", 1)
            socket.create_connection((host, int(port)), timeout=3).close()
        return True
    except (OSError, ValueError):
        return False
