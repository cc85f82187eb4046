"""Test support: the plugin archive as Plugin Manager installs it."""
