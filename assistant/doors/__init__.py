"""Chat doors beyond HTTP: Slack and Discord (thin translations around ChatService)."""
