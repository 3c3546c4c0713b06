"""Background loops that stop when asked, even if a library swallowed the cancel."""

import asyncio


def current_task_cancelling() -> bool:
    """True once the running task has been asked to stop (`Task.cancel`)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
