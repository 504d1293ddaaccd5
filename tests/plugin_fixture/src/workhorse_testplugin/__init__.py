"""A plugin distribution used only by the test suite."""
