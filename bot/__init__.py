"""connectsbot's Discord layer: a thin adapter over the core library `connectsbot`.

Cogs parse Discord input, call the core (answer service, store, diagnosis, insights, chart) and render
the result within Discord's limits (`bot.replies`). Every message mentions nobody. Start it with
`connectsbot run` (DISCORD_TOKEN set) or `python -m bot.launcher`; configuration: `bot.settings`.
"""
