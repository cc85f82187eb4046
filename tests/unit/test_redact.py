from octoprint_octorant.redact import redact


def test_webhook_tokens_are_masked():
    text = "POST https://discord.com/api/webhooks/123/SeCrEt-TOKEN_x?wait=true failed"
    assert "SeCrEt" not in redact(text)
    assert "/api/webhooks/123/***" in redact(text)


def test_versioned_webhook_and_credentials_and_query_secrets():
    assert "tok" not in redact("https://discord.com/api/v10/webhooks/1/tok")
    assert "hunter2" not in redact("mailtos://user:hunter2@example.com")
    assert "abc123" not in redact("json://host/path?token=abc123&x=1")


def test_explicit_secrets():
    assert redact("value ghp_ABCDEF here", ("ghp_ABCDEF",)) == "value *** here"
