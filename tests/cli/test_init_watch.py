"""`readout init` and `readout watch` through the real CLI."""

from __future__ import annotations

import hashlib
import json
import stat

from archive.cli import cli


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_init_creates_archive_and_private_key_0600(readout):
    result = readout("init")
    key = readout.archive / "keys" / "ed25519.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (readout.archive / "readout.db").is_file()
    assert "Fingerprint:          SHA256:" in result.stdout
    info = readout.json("init")
    assert info["created"] is False
    assert info["fingerprint"].startswith("SHA256:")
    assert info["public_key"] in result.stdout


def test_init_twice_changes_nothing(readout):
    readout("init")
    key = readout.archive / "keys" / "ed25519.pem"
    before = _digest(key)
    second = readout("init")
    assert "nothing was changed" in second.stdout
    assert _digest(key) == before


def test_init_with_passphrase_encrypts_key_and_snapshot_needs_it(readout, serve):
    readout("init", env={"READOUT_KEY_PASSPHRASE": "correct horse"})
    pem = (readout.archive / "keys" / "ed25519.pem").read_text()
    assert "ENCRYPTED PRIVATE KEY" in pem
    url = serve("/p", b"<html><body><article><p>Some words here.</p></article></body></html>")
    missing = readout("snapshot", url, code=1)
    assert "READOUT_KEY_PASSPHRASE" in missing.stderr
    assert "Traceback" not in missing.stderr + missing.stdout
    wrong = readout("snapshot", url, code=1, env={"READOUT_KEY_PASSPHRASE": "wrong"})
    assert "does not open" in wrong.stderr
    readout("snapshot", url, code=0, env={"READOUT_KEY_PASSPHRASE": "correct horse"})


def test_commands_need_an_archive(readout):
    result = readout("watch", "list", code=1)
    assert "readout init" in result.stderr


def test_watch_add_list_remove(initialised):
    initialised(
        "watch",
        "add",
        "https://example.org/a",
        "--name",
        "A",
        "--every",
        "6h",
        "--selector",
        "main article",
        "--ignore",
        r"^Views: \d+$",
    )
    initialised("watch", "add", "https://example.org/b")
    items = initialised.json("watch", "list")
    assert [w["url"] for w in items] == ["https://example.org/a", "https://example.org/b"]
    assert items[0]["every_seconds"] == 6 * 3600
    assert items[0]["selector"] == "main article"
    assert items[0]["ignore"] == [r"^Views: \d+$"]
    assert items[1]["every_seconds"] == 86400
    initialised("watch", "remove", "https://example.org/a")
    assert [w["url"] for w in initialised.json("watch", "list")] == ["https://example.org/b"]
    gone = initialised("watch", "remove", "https://example.org/a", code=1)
    assert "not watched" in gone.stderr


def test_watch_add_rejects_bad_input_with_exit_2(initialised):
    for args in (
        ["ftp://example.org/x"],
        ["https://example.org/x", "--every", "often"],
        ["https://example.org/x", "--ignore", "("],
        ["https://example.org/x", "--selector", "p[[["],
    ):
        result = initialised("watch", "add", *args, code=2)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip()
    assert initialised.json("watch", "list") == []


def test_every_command_and_option_has_help():
    def walk(command, path):
        assert command.help or command.short_help, f"{path} has no help"
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{path} {param.opts} has no help"
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(cli, "readout")


def test_json_outputs_are_json(initialised):
    assert json.loads(initialised("watch", "list", "--json").stdout) == []
