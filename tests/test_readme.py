"""The README's two commands stay true, and .ci/run runs exactly the README's test command."""

import re

from conftest import ROOT


def _readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_begins_with_run_and_test_commands():
    cmds = _readme_commands()
    assert len(cmds) >= 2
    assert "pip install -e ." in cmds[0] and "scheduler run scenarios/double11.yaml" in cmds[0]
    assert "pip install -e '.[dev]'" in cmds[1] and "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _readme_commands()[1] in ci
