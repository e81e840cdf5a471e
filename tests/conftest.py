"""Suite-wide ordering: the browser tests run last.

Playwright's sync API keeps an asyncio event loop running in the main thread for as long as its
session-scoped browser lives; tests that call ``asyncio.run`` would fail after it. Running the e2e package
last keeps every other test on a clean thread.
"""


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path).replace("\\", "/"))
