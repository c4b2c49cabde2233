"""The server online store: Redis, one string per (view, entity key), shared by every replica."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

from driftloop.errors import BackendUnavailableError, redact_url, require_extra
from driftloop.features._protocols import OnlineRow, OnlineValue

# A value is "<event time or empty>\x1f<payload>"; the script keeps the newer of the stored
# and offered rows atomically, so concurrent materializations cannot move a value back.
_SEP = "\x1f"
_WRITE_NEWER = """
local n = 0
for i, key in ipairs(KEYS) do
  local t = ARGV[2 * i - 1]
  local cur = redis.call('GET', key)
  local keep = false
  if cur and t ~= '' then
    local ct = string.match(cur, '^([^\\31]*)')
    if ct ~= '' and tonumber(ct) > tonumber(t) then keep = true end
  end
  if not keep then
    redis.call('SET', key, t .. '\\31' .. ARGV[2 * i])
    redis.call('SADD', ARGV[#ARGV], key)
    n = n + 1
  end
end
return n
"""
_BATCH = 2_000


class RedisOnlineStore:
    """Online features in Redis (``redis://host:port/db``); redis-py is imported on first use.

    Example::

        store = RedisOnlineStore("redis://127.0.0.1:6379/0")
    """

    def __init__(self, url: str, prefix: str = "driftloop") -> None:
        self.url = url
        self.prefix = prefix
        self._client: Any = None
        self._script: Any = None
        self._lock = threading.Lock()

    def _redis(self) -> Any:
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                redis = require_extra("redis", "redis", "The Redis online store")
                client = redis.Redis.from_url(self.url)
                with self._translated():
                    client.ping()
                self._script = client.register_script(_WRITE_NEWER)
                self._client = client
            return self._client

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Redis errors (server gone, timeout, refused command) as BackendUnavailableError."""
        redis = require_extra("redis", "redis", "The Redis online store")
        try:
            yield
        except redis.exceptions.RedisError as exc:
            what = (
                "cannot reach"
                if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError)
                else "got an error from"
            )
            raise BackendUnavailableError(
                f"{what} the online store at {redact_url(self.url)}: {exc}; check "
                "DRIFTLOOP_ONLINE_URL and that Redis is running and accepting writes"
            ) from exc

    def _key(self, view: str, key: str) -> str:
        return f"{self.prefix}:{view}:{key}"

    def write(self, view: str, rows: Iterable[OnlineRow]) -> int:
        with self._translated():
            return self._write(self._redis(), view, rows)

    def _write(self, client: Any, view: str, rows: Iterable[OnlineRow]) -> int:
        members = f"{self.prefix}:{view}:__keys__"
        iterator = iter(rows)
        total = 0
        pipe = client.pipeline(transaction=False)
        while batch := list(islice(iterator, _BATCH)):
            keys = [self._key(view, k) for k, _, _ in batch]
            args: list[str] = []
            for _, event_time, payload in batch:
                args += ["" if event_time is None else repr(event_time), payload]
            self._script(keys=keys, args=[*args, members], client=pipe)
            total += len(batch)
            if len(pipe) >= 20:
                pipe.execute()
        pipe.execute()
        return total

    def read(self, view: str, keys: Sequence[str]) -> list[OnlineValue | None]:
        client = self._redis()
        with self._translated():
            if len(keys) == 1:
                raw = [client.get(self._key(view, keys[0]))]
            else:
                raw = client.mget([self._key(view, k) for k in keys])
        return [None if value is None else _decode(value) for value in raw]

    def delete_view(self, view: str) -> None:
        client = self._redis()
        members = f"{self.prefix}:{view}:__keys__"
        with self._translated():
            keys = list(client.smembers(members))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
            client.delete(members)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _decode(value: bytes) -> OnlineValue:
    text = value.decode()
    event_time, _, payload = text.partition(_SEP)
    return (float(event_time) if event_time else None, payload)
