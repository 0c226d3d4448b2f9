"""Rate ceilings shared by every worker: the SMS token bucket and counters for confirm sends.

With a Redis URL (REDIS_URL, or the Redis broker) the state lives in Redis
so the ceiling holds across processes and machines; without one it lives in
this process, which is right for the embedded default (one runner per site).
"""
from __future__ import annotations

import threading
import time

import redis

# Each sender reserves the next free send slot, `interval` after the previous one, and sleeps until it.
# Slots are spaced exactly, so no 1-second window holds more than `rate` sends; and a sender that wakes
# late loses no capacity (the next slot was already reserved), unlike a bucket that fills to one token.
_SLOT_LUA = """
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local slot = math.max(now, tonumber(redis.call('GET', key) or '0'))
if slot - now > horizon then
  return tostring(-(slot - now))
end
redis.call('SET', key, tostring(slot + interval), 'EX', 3600)
return tostring(slot - now)
"""
# A sender never books further ahead than this; more senders than that wait their turn to book.
HORIZON_SECONDS = 2.0

_local_lock = threading.Lock()
_local_buckets: dict[str, list[float]] = {}
_local_counters: dict[str, tuple[int, float]] = {}
_redis_clients: dict[str, object] = {}


def redis_client(app):
    """The shared Redis client for REDIS_URL, or None when the state stays in this process."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=5)
        _redis_clients[url] = client
    return client


class TokenBucket:
    """`acquire()` blocks until this sender's send slot; at most `rate` sends per second across every sender."""

    def __init__(self, app, name: str, rate: float):
        self.app = app
        self.key = f"statuspage:slots:{name}"
        self.rate = max(rate, 0.001)
        # 2% apart beyond the ceiling: a send can reach the provider a few ms late or early, and two
        # slots exactly 1/rate apart would then let a 1-second window at the provider see rate + 1 or 2.
        self.interval = 1.02 / self.rate

    def reserve(self) -> float:
        """Book the next slot: seconds until it (>= 0), or minus the seconds the queue is ahead when too full."""
        client = redis_client(self.app)
        now = time.time()
        horizon = max(HORIZON_SECONDS, self.interval)
        if client is not None:
            try:
                script = client.register_script(_SLOT_LUA)
                return float(script(keys=[self.key], args=[self.interval, now, horizon]))
            except Exception:  # Redis down: fall back to this process's slots rather than stop sending
                self.app.logger.warning("SMS rate: Redis unavailable, using the in-process ceiling")
        with _local_lock:
            slot = max(now, _local_buckets.get(self.key, [0.0])[0])
            if slot - now > horizon:
                return -(slot - now)
            _local_buckets[self.key] = [slot + self.interval]
            return slot - now

    def acquire(self) -> None:
        while True:
            wait = self.reserve()
            if wait >= 0:
                if wait > 0:
                    time.sleep(wait)
                return
            time.sleep(min(-wait - HORIZON_SECONDS + self.interval, 1.0))


def sms_bucket(app) -> TokenBucket:
    return TokenBucket(app, "sms", float(app.config.get("SMS_RATE_PER_SECOND") or 1.0))


def hit(app, key: str, limit: int, window_seconds: int, always: bool = False) -> bool:
    """Count one event for `key`; False when it is over `limit` in the current window.

    `always`: a security ceiling (second-factor guesses) that the switches for tests and
    benches do not turn off.
    """
    if not always and not app.config.get("SUBSCRIBE_RATE_LIMITS", app.config.get("RATELIMIT_ENABLED", True)):
        return True
    bucket = int(time.time() // window_seconds)
    full_key = f"statuspage:limit:{key}:{bucket}"
    client = redis_client(app)
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
