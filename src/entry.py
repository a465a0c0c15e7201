"""The Worker's entry point: wiring only. HTTP requests, queue batches (the job queue and its
dead letter queue alike) and the hourly cron go to imagejobs.platform.worker."""

from workers import WorkerEntrypoint

from imagejobs.platform.worker import handle_fetch, handle_queue, handle_scheduled


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await handle_fetch(request, self.env)

    # workerd passes (batch, env, ctx) even to a class handler; use self.env.
    async def queue(self, batch, env=None, ctx=None):
        await handle_queue(batch, self.env)

    async def scheduled(self, controller, env=None, ctx=None):
        await handle_scheduled(controller, self.env)
