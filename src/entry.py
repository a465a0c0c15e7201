"""The Worker's entry point: wiring only. HTTP requests, queue batches (the job queue and its
dead letter queue alike) and the crons (recovery each minute, the last-resort sweep hourly) go to
imagejobs.platform.worker."""

from typing import Any

from workers import WorkerEntrypoint

from imagejobs.platform.worker import handle_fetch, handle_queue, handle_scheduled


class Default(WorkerEntrypoint):  # type: ignore[misc]  # the SDK is untyped (Any)
    async def fetch(self, request: Any) -> Any:
        return await handle_fetch(request, self.env)

    # workerd passes (batch, env, ctx) even to a class handler; use self.env.
    async def queue(self, batch: Any, env: Any = None, ctx: Any = None) -> None:
        await handle_queue(batch, self.env)

    async def scheduled(self, controller: Any, env: Any = None, ctx: Any = None) -> None:
        await handle_scheduled(controller, self.env)
