"""/help: the commands a member can use, one line each, found in the command tree; moderators also
see theirs."""

from __future__ import annotations

from bot.client import ConnectsBot
from bot.exts.help._cog import HelpCog


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(HelpCog(bot))
