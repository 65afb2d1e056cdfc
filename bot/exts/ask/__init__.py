"""/ask with autocomplete, Helpful / Not helpful, "Did you mean…", and @mention = /ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.ask._cog import AskCog

if TYPE_CHECKING:
    from bot.client import ConnectsBot


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(AskCog(bot))
