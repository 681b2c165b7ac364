from tests.handlers.console.conftest import (  # noqa: F401  the console's app and browsers
    browsers,
    client,
    console_settings,
    make_client,
)
