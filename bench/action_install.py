"""The composite action's install, cold and warm, as a runner does it: `requirements/install.sh`
(a fresh environment from the lock files: uv, or pip as the fallback), then, warm, what the
Actions cache does instead (the environment restored from a tar archive) and a first
`ossbot --version`. Cold runs use no package cache (a fresh runner has none); the package index
is whatever this machine reaches. Prints figures; asserts nothing.

    python bench/action_install.py [--runs N] [--llm]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "requirements" / "install.sh"


def _cold(venv: Path, llm: bool) -> float:
    env = {
        **os.environ,
        "OSSBOT_PYTHON": _base_python() if sys.prefix != sys.base_prefix else sys.executable,
        "OSSBOT_VENV": str(venv),
        "OSSBOT_LLM": "true" if llm else "false",
        "UV_NO_CACHE": "1",
        "PIP_NO_CACHE_DIR": "1",
    }
    start = time.perf_counter()
    subprocess.run(["bash", str(SCRIPT), "install"], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _base_python() -> str:
    """The interpreter this venv was made from (setup-python's, on a runner)."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(Path(sys.base_prefix) / "bin" / name)


def _warm(venv: Path, archive: Path) -> float:
    shutil.rmtree(venv)
    start = time.perf_counter()  # as actions/cache does it: tar (with zstd there, gzip here)
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(venv.parent)], check=True)
    subprocess.run([str(venv / "bin" / "ossbot"), "--version"], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 2
    llm = "--llm" in sys.argv
    with tempfile.TemporaryDirectory() as work:
        venv = Path(work) / "ossbot-venv"
        cold = [_cold(venv, llm) for _ in range(runs)]
        archive = Path(work) / "env.tar.gz"
        subprocess.run(["tar", "-czf", str(archive), "-C", work, venv.name], check=True)
        size = archive.stat().st_size / 2**20
        warm = [_warm(venv, archive) for _ in range(runs)]
    what = "with the LLM SDKs" if llm else "without the LLM SDKs (no provider configured)"
    print(f"action install, {what}, median of {runs}:")
    print(
        f"  cold (fresh environment from the locks, no package cache): {statistics.median(cold):.1f} s"
    )
    print(
        f"  warm (environment restored from the cache, {size:.0f} MB archive, then ossbot --version): "
        f"{statistics.median(warm):.1f} s"
    )


if __name__ == "__main__":
    main()
