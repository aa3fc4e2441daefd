"""A small Stripe API client: pinned version, rate ceiling, retries, paging."""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
import requests

from extract import settings
from extract.errors import UserError

log = logging.getLogger("extract")


class ApiError(Exception):
    """An answer Stripe gave that is not worth retrying."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        # Stripe's error code, e.g. resource_missing for an unknown object.
        self.code = code


class RetriesExhausted(UserError):
    """Stripe kept answering 429/5xx past the retry budget."""

    def __init__(
        self, message: str, status: int, retries: int = 0, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        # How often the request was retried, and Stripe's last answer.
        self.retries = retries
        self.detail = detail or f"HTTP {status}"


class RateLimiter:
    """Token bucket of one token: requests start at least 1/rate apart.

    Callers wait their turn under one condition, so no one-second window ever
    holds more than `rate` starts. It paces at 99% of the ceiling, which
    leaves the server about 10 ms of delivery jitter per second before its
    count of a window can reach `rate` + 1; a request refused for that gets
    a 429 and is retried after a backoff like any other. The next start goes to
    the waiting caller of the lowest `priority`, then to the earliest: a list
    paged one request after another (each page needs the last one's id) then
    moves at the speed of the API's latency, and the independent requests of
    child listings (a request per customer) fill the rest of the ceiling,
    instead of every list waiting behind them and the longest finishing alone.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / (rate * 0.99)
        self._next = 0.0
        self._turn = threading.Condition()
        self._waiting: list[tuple[int, int]] = []
        self._tickets = itertools.count()

    def acquire(self, priority: int = 0) -> float:
        """Wait for this caller's start; returns its time (time.monotonic)."""
        with self._turn:
            ticket = (priority, next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            # A caller ahead of the one timing the next start wakes it up.
            self._turn.notify_all()
            while True:
                wait = self._next - time.monotonic()
                if self._waiting[0] == ticket and wait <= 0:
                    break
                self._turn.wait(wait if self._waiting[0] == ticket else None)
            heapq.heappop(self._waiting)
            start = time.monotonic()
            self._next = start + self._interval
            self._turn.notify_all()
            return start


def default_rate(api_key: str, override: str | None) -> float:
    if override:
        try:
            rate = float(override)
        except ValueError:
            rate = 0.0
        if rate <= 0:
            raise UserError(
                f"STRIPE_MAX_RPS={override!r} is not a positive number; "
                "set it to the requests per second allowed, e.g. 25."
            )
        return rate
    live = api_key.startswith(("sk_live_", "rk_live_"))
    return settings.MAX_RPS_LIVE if live else settings.MAX_RPS_TEST


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter."""
    ceiling = min(
        settings.BACKOFF_CAP_SECONDS, settings.BACKOFF_BASE_SECONDS * 2**attempt
    )
    return random.uniform(ceiling / 2, ceiling)


class StripeClient:
    """Thread-safe GETs against the Stripe API at the pinned version."""

    def __init__(
        self,
        api_base: str,
        api_key: str,
        max_rps: float,
        max_retries: int = settings.MAX_RETRIES,
        timeout: float = settings.HTTP_TIMEOUT_SECONDS,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Stripe-Version": settings.STRIPE_API_VERSION,
            "User-Agent": "stripe-warehouse-extract",
        }
        self.limiter = RateLimiter(max_rps)
        self.max_retries = max_retries
        self.timeout = timeout
        self._local = threading.local()
        self.requests_made = 0
        self._count_lock = threading.Lock()

    def lower_thread_priority(self) -> None:
        """The calling thread's requests wait behind those of threads left
        at the default (see RateLimiter); an initializer for worker pools."""
        self._local.priority = 1

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
        return session

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> dict:
        """GET one resource; retries what Stripe says may be retried."""
        url = f"{self.api_base}{path}"
        retries = self.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            self.limiter.acquire(getattr(self._local, "priority", 0))
            with self._count_lock:
                self.requests_made += 1
            try:
                response = self._session().get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                # A fewer-retries call (a first page whose filter may be
                # refused) learns nothing from a drop or a timeout: those
                # get the client's full retries.
                if attempt >= max(retries, self.max_retries):
                    raise UserError(
                        f"cannot reach the Stripe API at {self.api_base} "
                        f"({type(exc).__name__}); check STRIPE_API_BASE and the "
                        "network (in dev, start the local Stripe with `make up`)."
                    ) from None
                self._wait(attempt, f"{type(exc).__name__} on {path}")
                attempt += 1
                continue
            if response.status_code == 200:
                return orjson.loads(response.content)
            if self._should_retry(response) and attempt < retries:
                self._wait(attempt, f"HTTP {response.status_code} on {path}")
                attempt += 1
                continue
            self._raise_for(response, path, attempt)

    @staticmethod
    def _should_retry(response: requests.Response) -> bool:
        header = response.headers.get("Stripe-Should-Retry")
        if header is not None:
            return header.strip().lower() == "true"
        return response.status_code == 429 or response.status_code >= 500

    @staticmethod
    def _wait(attempt: int, reason: str) -> None:
        delay = backoff_seconds(attempt)
        log.info("retrying after %s in %.1fs", reason, delay)
        time.sleep(delay)

    def _raise_for(self, response: requests.Response, path: str, retried: int) -> None:
        status = response.status_code
        code = None
        try:
            error = orjson.loads(response.content)["error"]
            message, code = error["message"], error.get("code")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            message = response.text[:200]
        if status == 401:
            raise UserError(
                f"the Stripe API at {self.api_base} rejected the API key (401 "
                "Unauthorized); set STRIPE_API_KEY to a valid secret (sk_...) "
                "or restricted (rk_...) key with read access."
            )
        if status == 403:
            raise UserError(
                f"the API key may not read {path} (403 Forbidden); give the "
                "restricted key read access to it, or use a secret key."
            )
        if status == 429 or status >= 500:
            raise RetriesExhausted(
                f"the Stripe API kept answering HTTP {status} on {path} "
                f"({retried} retries); try again later or lower STRIPE_MAX_RPS.",
                status,
                retried,
                f"HTTP {status} {message}".strip(),
            )
        raise ApiError(status, message, code)

    def pages(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        first_page_retries: int | None = None,
    ) -> Iterator[list]:
        """Every page of a list endpoint, following has_more/starting_after."""
        query = dict(params or {})
        query["limit"] = settings.PAGE_LIMIT
        retries = first_page_retries
        while True:
            page = self.get(path, query, retries)
            retries = None
            data = page.get("data") or []
            yield data
            if not page.get("has_more") or not data:
                return
            query["starting_after"] = data[-1]["id"]
