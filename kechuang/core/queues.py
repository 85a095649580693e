"""The task queues every app sends its background work to (``settings.TASKS`` lists them; the README's
production section starts a worker for each group).

``default`` notifications, e-mails and match counts; ``imports`` import checks and imports; ``search``
index updates and rebuilds; ``embeddings`` dense vectors alone, because encoding thousands of records
takes minutes to hours and nothing else may wait behind it.
"""

DEFAULT_QUEUE = "default"
IMPORT_QUEUE = "imports"
SEARCH_QUEUE = "search"
EMBEDDING_QUEUE = "embeddings"
QUEUES = [DEFAULT_QUEUE, IMPORT_QUEUE, SEARCH_QUEUE, EMBEDDING_QUEUE]
