"""The built wheel works on its own: no file that only the checkout has can hide."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_runs_without_the_checkout(tmp_path):
    # Build from a copy without build/ and egg-info, which can hold stale modules
    # that would hide a package missing from pyproject.toml.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".venv", "build", "*.egg-info", ".git", "__pycache__"),
    )
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("readout_archive-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python, readout = env_dir / "bin" / "python", env_dir / "bin" / "readout"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    # Dependencies come from the test venv; the project itself only from the wheel.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = next(p for p in sys.path if p.endswith("site-packages"))
    Path(site, "zz-deps.pth").write_text(deps + "\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    checks = [
        [str(readout), "--help"],
        [str(python), "-m", "archive", "--help"],
        [str(python), "-c", "import schemas; print(schemas.load('changes')['title'])"],
        [str(python), "-c", "import archive; print(archive.__file__)"],
        [str(python), "-c", READ_SAMPLE],
        [str(python), "-m", "provenance", "verify-bundle", "--help"],
    ]
    outputs = []
    for args in checks:
        result = subprocess.run(args, cwd=outside, capture_output=True, text=True)
        assert result.returncode == 0, (args, result.stderr)
        outputs.append(result.stdout)
    assert "snapshot" in outputs[0] and outputs[0] == outputs[1].replace(
        "python -m archive", "readout"
    )
    assert str(ROOT) not in outputs[3]  # really the wheel, not the checkout
    assert int(outputs[4]) > 1000


READ_SAMPLE = (
    "from importlib import resources; "
    "print(len((resources.files('archive') / 'sample' / 'readout-v1.html').read_bytes()))"
)
