"""README.md's Limits table states every limit `amprig help limits` prints (from kLimitInfo in
harness/scenario/limits.h, the constants the checks read), with the same value, and no limit
the program does not have."""
import pathlib
import re
import subprocess

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def program_limits(amprig_bin):
    """{name: value} from `amprig help limits`: rows of a name, two or more spaces, a number."""
    out = subprocess.run([str(amprig_bin), "help", "limits"], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    rows = re.findall(r"^  (\S.*?)\s{2,}(\d+)\b", out, re.MULTILINE)
    return {name: int(value) for name, value in rows}


def readme_limits():
    """{name: value} from the table under README's '### Limits'."""
    text = README.read_text()
    section = text[text.index("### Limits\n"):]
    section = section[:section.index("\n### ")]
    rows = re.findall(r"^\| (.+?) \| (\d+)\b[^|]*\|", section, re.MULTILINE)
    return {name: int(value) for name, value in rows if name != "limit"}


def test_readme_states_every_limit_of_the_program_with_its_value(amprig_bin):
    program = program_limits(amprig_bin)
    assert len(program) >= 10, program  # the parse found the table, not a stray line
    assert readme_limits() == program
