"""The bot's features, one extension each (loaded by `ConnectsBot.setup_hook`)."""
