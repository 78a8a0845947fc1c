import pytest

# The helper module's asserts report their operands, as the tests' own do.
pytest.register_assert_rewrite("tests.helpers")
