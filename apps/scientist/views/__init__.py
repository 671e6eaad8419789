"""The tabs of "Under the hood": each module has ``render(ctx)`` for one :class:`apps.scientist.views.context.ReviewCtx`."""
