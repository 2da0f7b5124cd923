from assistant.redact import redact


def test_emails_phones_names_and_tokens_are_masked() -> None:
    text = "my name is Jane Doe, jane.doe@example.com, +44 7700 900123, token xoxb-123-abc"
    out = redact(text)
    assert "Jane" not in out and "example.com" not in out and "7700" not in out and "xoxb" not in out
    assert "[email]" in out and "[phone]" in out and "[name]" in out and "[secret]" in out


def test_running_numbers_and_dates_are_kept() -> None:
    text = "I ran 10 km in 52:30 on 2026-10-01, 3 times a week, about 170 steps"
    assert redact(text) == text
