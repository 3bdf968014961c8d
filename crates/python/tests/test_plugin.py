"""The pytest plugin: the `mfs` fixture by entry point, and by D-MemFS's
explicit opt-in."""

from __future__ import annotations

pytest_plugins = ["pytester"]

TEST_FILE = """
def test_uses_fixture(mfs):
    with mfs.open("/hello.txt", "wb") as f:
        f.write(b"hello")
    assert mfs.stats()["quota_bytes"] == 1024 * 1024
    assert mfs.listdir("/") == ["hello.txt"]

def test_fresh_per_test(mfs):
    assert mfs.listdir("/") == []
"""


def test_fixture_from_entry_point(pytester):
    pytester.makepyfile(TEST_FILE)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_fixture_with_explicit_opt_in(pytester):
    pytester.makeconftest('pytest_plugins = ["dmemfs._pytest_plugin"]\n')
    pytester.makepyfile(TEST_FILE)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_fixture_in_this_session(mfs):
    assert mfs.stats()["quota_bytes"] == 1024 * 1024
