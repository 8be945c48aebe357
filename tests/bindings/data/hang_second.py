"""Three tests; the second never ends."""
import time


def test_first():
    pass


def test_hang():
    time.sleep(600)


def test_never():
    pass
