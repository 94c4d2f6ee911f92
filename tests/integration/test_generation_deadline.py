"""A generation has a deadline, and a consumer that stops reading frees the model at once (real
model)."""
import time

import pytest

pytestmark = pytest.mark.integration

LONG = [{"role": "user", "content": "Count from 1 to 2000, one number per line, and do not stop."}]


def test_a_generation_stops_at_its_deadline_and_frees_the_model(real_generator):
    gen = real_generator
    old = gen.deadline_s
    gen.deadline_s = 1.0
    try:
        t0 = time.monotonic()
        stamps = [time.monotonic() - t0 for _ in gen.stream(LONG, max_tokens=3000)]
        took = time.monotonic() - t0
    finally:
        gen.deadline_s = old
    first = stamps[0] if stamps else took  # evaluating the prompt is one call: the deadline counts from it
    print(f"\ndeadline 1.0 s: stopped after {took:.2f} s and {len(stamps)} pieces (first after {first:.2f} s)")
    assert len(stamps) < 300  # far from the 3,000 asked for
    assert took <= max(1.0, first) + 1.0  # within a token or two of the deadline
    assert not gen.lock.locked()


def test_a_consumer_that_stops_reading_frees_the_model(real_generator):
    gen = real_generator
    stream = gen.stream(LONG, max_tokens=3000)
    got = [next(stream) for _ in range(3)]
    assert gen.lock.locked()
    stream.close()  # what dropping a disconnected client's answer does
    assert not gen.lock.locked() and len(got) == 3
    assert list(gen.stream([{"role": "user", "content": "Say hello."}], max_tokens=8))  # the next one runs
