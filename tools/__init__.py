"""Developer tools: the local Discord inbox, a real OctoPrint for `make run` and the tests."""
