"""Where the `amprig` program of this package's build is.

The package lives in <build>/python/amprig/, the program in <build>/bin/amprig. $AMPRIG_PROGRAM
names another one (a worker whose package and program are installed apart, say)."""
import os


def amprig_program():
    """The path of the `amprig` program; raises FileNotFoundError naming where it looked."""
    named = os.environ.get("AMPRIG_PROGRAM")
    if named:
        if not os.access(named, os.X_OK):
            raise FileNotFoundError(f"AMPRIG_PROGRAM={named} is not an executable program")
        return os.path.abspath(named)
    here = os.path.dirname(os.path.abspath(__file__))
    program = os.path.normpath(os.path.join(here, "..", "..", "bin", "amprig"))
    if not os.access(program, os.X_OK):
        raise FileNotFoundError(
            f"no amprig program at {program} (this package, {here}, is not in a build's python/ "
            "folder): set AMPRIG_PROGRAM to the program")
    return program
