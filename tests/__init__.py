import pytest

# The helper modules' asserts report their operands, as the tests' own do.
pytest.register_assert_rewrite("tests.helpers", "tests.browser.helpers")
