"""The durable floor: the echo baseline plus the least any bot that keeps residents' messages
must do per message.

The same signature check, decryption, parsing and encrypted TextReply echo as
bench/echo_server.py (wechatpy), and in between, for each text message:

- one Redis `SET key 1 NX PX <ttl>` on the MsgId (redis.asyncio): WeChat re-posts a message it
  got no answer to within 5 s, so a bot must notice repeats; a repeat is answered `success`;
- one PostgreSQL INSERT of the message and its reply (asyncpg directly, autocommit, a pool of
  connections opened at startup) into `floor_message`, which it creates if missing.

No dialog, no rate limit, no outbox, no ORM. Its PostgreSQL connections carry
`--application-name`, so a bench can tell its backends from other clients' in the database.

    python -m bench.floor_server --port 8091 --token T --appid wx... --aes-key <43 chars> \
        --dsn postgresql://postgres@127.0.0.1:5432/bench --redis redis://127.0.0.1:6379/14
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import asyncpg
import redis.asyncio as aioredis
from aiohttp import web
from wechatpy.messages import BaseMessage

from bench.echo_server import create_webhook_app
from bot.cli import new_event_loop

SCHEMA = """
CREATE TABLE IF NOT EXISTS floor_message (
    id bigserial PRIMARY KEY,
    openid text NOT NULL,
    msg_id bigint UNIQUE,
    content text NOT NULL,
    reply text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
INSERT = (
    "INSERT INTO floor_message (openid, msg_id, content, reply) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (msg_id) DO NOTHING"
)


def create_floor_app(
    token: str,
    appid: str,
    aes_key: str | None,
    *,
    dsn: str,
    redis_url: str,
    key_prefix: str = "floor",
    dedupe_ms: int = 300_000,
    pool_size: int = 20,
    application_name: str = "minyi-bench-floor",
) -> web.Application:
    pool_key = web.AppKey("pool", asyncpg.Pool)
    redis_key = web.AppKey("redis", aioredis.Redis)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=pool_size,
            max_size=pool_size,
            server_settings={"application_name": application_name},
        )
        await pool.execute(SCHEMA)
        redis = aioredis.from_url(redis_url)
        await redis.ping()
        app[pool_key], app[redis_key] = pool, redis
        yield
        await redis.aclose()
        await pool.close()

    async def keep(request: web.Request, message: BaseMessage) -> str | None:
        first = await request.app[redis_key].set(
            f"{key_prefix}:seen:{message.id}", b"1", nx=True, px=dedupe_ms
        )
        if not first:
            return None  # a repeat: `success`
        content = message.content
        await request.app[pool_key].execute(INSERT, message.source, message.id, content, content)
        return content

    app = create_webhook_app(token, appid, aes_key, keep)
    app.cleanup_ctx.append(resources)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="echo webhook + Redis dedupe + PostgreSQL insert")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--token", required=True)
    parser.add_argument("--appid", required=True)
    parser.add_argument("--aes-key", default=None, help="EncodingAESKey; omit for plain mode")
    parser.add_argument("--dsn", required=True, help="PostgreSQL URL (asyncpg form)")
    parser.add_argument("--redis", required=True, help="Redis URL")
    parser.add_argument("--key-prefix", default="floor", help="prefix of the dedupe keys")
    parser.add_argument("--pool-size", type=int, default=20, help="PostgreSQL connections")
    parser.add_argument("--application-name", default="minyi-bench-floor")
    args = parser.parse_args()
    web.run_app(
        create_floor_app(
            args.token,
            args.appid,
            args.aes_key,
            dsn=args.dsn,
            redis_url=args.redis,
            key_prefix=args.key_prefix,
            pool_size=args.pool_size,
            application_name=args.application_name,
        ),
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
        loop=new_event_loop(),
    )


if __name__ == "__main__":
    main()
