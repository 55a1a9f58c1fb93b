# Copyright: deploy-pod contributors
# Apache-2.0 (see LICENSE)
"""NetworkManager checkpoints over busctl: argv builders and parsers of busctl's text output.

busctl (systemd) prints a D-Bus reply as its signature followed by the values, strings quoted
with C escapes, arrays as their length followed by the elements:

    o "/org/freedesktop/NetworkManager/Checkpoint/1"
    ao 2 "/org/freedesktop/NetworkManager/Checkpoint/1" "/org/freedesktop/NetworkManager/Checkpoint/2"
    a{su} 1 "/org/freedesktop/NetworkManager/Devices/2" 0

(``--json`` would be simpler but needs systemd 240; RHEL 8 ships 239.)
"""

from __future__ import annotations

NM_SERVICE = "org.freedesktop.NetworkManager"
NM_PATH = "/org/freedesktop/NetworkManager"
NM_INTERFACE = "org.freedesktop.NetworkManager"
CHECKPOINT_PREFIX = "/org/freedesktop/NetworkManager/Checkpoint/"

# NMCheckpointCreateFlags
FLAGS = {
    "destroy_all": 0x01,
    "delete_new_connections": 0x02,
    "disconnect_new_devices": 0x04,
    "allow_overlapping": 0x08,
}

# NMRollbackResult, per device
ROLLBACK_RESULTS = {
    0: "ok",
    1: "no-device",
    2: "device-unmanaged",
    3: "failed",
}


class BusctlParseError(ValueError):
    """busctl printed something that is not the reply expected."""


def flags_value(names: list[str]) -> int:
    """The CheckpointCreate flags for their names (see FLAGS)."""
    value = 0
    for name in names:
        if name not in FLAGS:
            raise ValueError(f"unknown checkpoint flag {name!r}; known: {', '.join(FLAGS)}")
        value |= FLAGS[name]
    return value


def check_flags(names: list[str], devices: list[str]) -> str | None:
    """What NetworkManager would refuse about this combination, said before it is asked; None if fine."""
    if "disconnect_new_devices" in names and devices:
        return "the flag disconnect_new_devices works only with an empty device list (a checkpoint of all devices)"
    return None


def tokens(text: str) -> list[str]:
    """Split busctl's text output into words; quoted strings lose their quotes and escapes."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == '"':
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise BusctlParseError(f"unterminated string in busctl output: {text!r}")
                ch = text[i]
                if ch == "\\":
                    if i + 1 >= n:
                        raise BusctlParseError(f"dangling escape in busctl output: {text!r}")
                    nxt = text[i + 1]
                    buf.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"'}.get(nxt, nxt))
                    i += 2
                    continue
                if ch == '"':
                    i += 1
                    break
                buf.append(ch)
                i += 1
            out.append("".join(buf))
            continue
        start = i
        while i < n and not text[i].isspace():
            i += 1
        out.append(text[start:i])
    return out


def _reply(text: str, signature: str) -> list[str]:
    words = tokens(text)
    if not words:
        raise BusctlParseError(f"empty busctl output, expected a {signature!r} reply")
    if words[0] != signature:
        raise BusctlParseError(f"busctl replied {words[0]!r}, expected {signature!r}: {text.strip()!r}")
    return words[1:]


def _count(word: str, text: str) -> int:
    try:
        count = int(word)
    except ValueError:
        raise BusctlParseError(f"array length {word!r} is not a number in {text.strip()!r}") from None
    if count < 0:
        raise BusctlParseError(f"negative array length in {text.strip()!r}")
    return count


def parse_object_path(text: str) -> str:
    """`o "/path"` -> "/path"."""
    rest = _reply(text, "o")
    if len(rest) != 1 or not rest[0].startswith("/"):
        raise BusctlParseError(f"expected one object path: {text.strip()!r}")
    return rest[0]


def parse_object_paths(text: str) -> list[str]:
    """`ao N "/a" ...` -> ["/a", ...]."""
    rest = _reply(text, "ao")
    if not rest:
        raise BusctlParseError(f"array without a length: {text.strip()!r}")
    count = _count(rest[0], text)
    paths = rest[1:]
    if len(paths) != count or not all(p.startswith("/") for p in paths):
        raise BusctlParseError(f"expected {count} object paths: {text.strip()!r}")
    return paths


def parse_rollback_result(text: str) -> dict[str, int]:
    """`a{su} N "/dev" 0 ...` (CheckpointRollback's reply) -> {"/dev": 0, ...}."""
    rest = _reply(text, "a{su}")
    if not rest:
        raise BusctlParseError(f"array without a length: {text.strip()!r}")
    count = _count(rest[0], text)
    pairs = rest[1:]
    if len(pairs) != 2 * count:
        raise BusctlParseError(f"expected {count} device/result pairs: {text.strip()!r}")
    result: dict[str, int] = {}
    for i in range(0, len(pairs), 2):  # no zip(strict=): modules run on the host's Python, 3.8 on RHEL 8
        path, code = pairs[i], pairs[i + 1]
        try:
            result[path] = int(code)
        except ValueError:
            raise BusctlParseError(f"rollback result {code!r} of {path} is not a number") from None
    return result


def failed_devices(result: dict[str, int]) -> dict[str, str]:
    """Devices whose rollback did not succeed -> the reason NetworkManager gave."""
    return {path: ROLLBACK_RESULTS.get(code, f"result {code}") for path, code in result.items() if code != 0}


def is_checkpoint_path(path: str) -> bool:
    return path.startswith(CHECKPOINT_PREFIX) and path[len(CHECKPOINT_PREFIX):].isdigit()


def call_argv(busctl: str, method: str, signature: str = "", *args: str) -> list[str]:
    """argv of `busctl call` on NetworkManager's main object."""
    argv = [busctl, "call", NM_SERVICE, NM_PATH, NM_INTERFACE, method]
    if signature:
        argv.append(signature)
    argv.extend(args)
    return argv


def create_argv(busctl: str, device_paths: list[str], rollback_timeout: int, flags: int) -> list[str]:
    return call_argv(busctl, "CheckpointCreate", "aouu", str(len(device_paths)), *device_paths,
                     str(rollback_timeout), str(flags))


def checkpoints_argv(busctl: str) -> list[str]:
    return [busctl, "get-property", NM_SERVICE, NM_PATH, NM_INTERFACE, "Checkpoints"]
