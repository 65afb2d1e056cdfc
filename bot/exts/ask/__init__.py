"""/ask with autocomplete, Helpful / Not helpful, "Did you mean…", and @mention = /ask."""

from __future__ import annotations

from bot.client import ConnectsBot
from bot.exts.ask._cog import AskCog


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(AskCog(bot))
