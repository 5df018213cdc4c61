from __future__ import annotations

import subprocess
import sys

from innolab.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert "innolab" in capsys.readouterr().out


def test_unknown_command_is_a_short_error(capsys):
    assert main(["no-such-command"]) != 0
    err = capsys.readouterr().err
    assert "No such command" in err and "Traceback" not in err


def test_console_script_installed():
    out = subprocess.run(
        [sys.executable, "-m", "innolab.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "data" in out.stdout
