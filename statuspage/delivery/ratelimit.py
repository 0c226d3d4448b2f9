"""Rate ceilings shared by every worker: the SMS token bucket and counters for confirm sends.

With a Redis URL (REDIS_URL, or the Redis broker) the state lives in Redis
so the ceiling holds across processes and machines; without one it lives in
this process, which is right for the embedded default (one runner per site).
"""
from __future__ import annotations

import threading
import time

_BUCKET_LUA = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
if wait == 0 then
  redis.call('HSET', key, 'tokens', tokens, 'ts', now)
  redis.call('EXPIRE', key, 3600)
end
return tostring(wait)
"""

_local_lock = threading.Lock()
_local_buckets: dict[str, list[float]] = {}
_local_counters: dict[str, tuple[int, float]] = {}
_redis_clients: dict[str, object] = {}


def _redis(app):
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5)
        _redis_clients[url] = client
    return client


class TokenBucket:
    """`acquire()` blocks until a send is allowed; `rate` per second, bursts of at most `burst`."""

    def __init__(self, app, name: str, rate: float, burst: float = 1.0):
        self.app = app
        self.key = f"statuspage:bucket:{name}"
        self.rate = max(rate, 0.001)
        self.burst = max(burst, 1.0)

    def try_take(self) -> float:
        """0 when a token was taken, else the seconds to wait before asking again."""
        client = _redis(self.app)
        now = time.time()
        if client is not None:
            try:
                script = client.register_script(_BUCKET_LUA)
                return float(script(keys=[self.key], args=[self.rate, self.burst, now]))
            except Exception:  # Redis down: fall back to this process's bucket rather than stop sending
                self.app.logger.warning("SMS rate bucket: Redis unavailable, using the in-process bucket")
        with _local_lock:
            tokens, ts = _local_buckets.get(self.key, [self.burst, now])
            tokens = min(self.burst, tokens + max(0.0, now - ts) * self.rate)
            if tokens >= 1:
                _local_buckets[self.key] = [tokens - 1, now]
                return 0.0
            _local_buckets[self.key] = [tokens, now]
            return (1 - tokens) / self.rate

    def acquire(self) -> None:
        while True:
            wait = self.try_take()
            if wait <= 0:
                return
            time.sleep(min(wait, 1.0))


def sms_bucket(app) -> TokenBucket:
    return TokenBucket(app, "sms", float(app.config.get("SMS_RATE_PER_SECOND") or 1.0))


def hit(app, key: str, limit: int, window_seconds: int) -> bool:
    """Count one event for `key`; False when it is over `limit` in the current window."""
    if not app.config.get("SUBSCRIBE_RATE_LIMITS", app.config.get("RATELIMIT_ENABLED", True)):
        return True
    bucket = int(time.time() // window_seconds)
    full_key = f"statuspage:limit:{key}:{bucket}"
    client = _redis(app)
    if client is not None:
        try:
            pipe = client.pipeline()
            pipe.incr(full_key)
            pipe.expire(full_key, window_seconds + 5)
            count = int(pipe.execute()[0])
            return count <= limit
        except Exception:
            app.logger.warning("rate limit: Redis unavailable, counting in-process")
    with _local_lock:
        count, expires = _local_counters.get(full_key, (0, time.time() + window_seconds))
        count += 1
        _local_counters[full_key] = (count, expires)
        if len(_local_counters) > 10000:
            now = time.time()
            for k in [k for k, (_, exp) in _local_counters.items() if exp < now]:
                del _local_counters[k]
    return count <= limit


def reset_local() -> None:
    with _local_lock:
        _local_buckets.clear()
        _local_counters.clear()
