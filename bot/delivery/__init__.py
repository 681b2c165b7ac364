"""Delivery: outbox rows into the resident's WeChat, reliably (issue 6).

- `client.WeChatClient(session, settings, stores)`: aiohttp client for custom/send,
  template/send (client_msg_id), subscribe/bizsend, media/get; access token shared through the
  stores (`tokens.TokenManager`); raises `errors.WeChatError` (with `.kind`: token, window,
  undeliverable, transient, rejected) or `errors.WeChatUnavailable` (`.maybe_delivered`).
- `channels`: chat while the 48-hour window allows (5 per window, counted in
  `delivery_window`), else template, else subscription message; template field rendering.
- `worker.DeliveryWorker`: claims (claims.py: SKIP LOCKED + lease), per-resident order, waves,
  attempt log before each call (`delivery_attempt`), retries, in-doubt policy.
- `scheduler.Scheduler`: lights and 督办, survey reminder and 未评价 expiry.
- `reconcile`: TEMPLATESENDJOBFINISH (handlers/delivery_events.py registers it).
- `runtime`: `delivery_services(...)` for create_app and `minyi worker`; `late_reply_sink`.
"""
