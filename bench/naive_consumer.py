"""The naive consumer a user would write without dfa-pipeline: auto-commit,
one HINCRBY round trip per event, no dedupe, no retractions. The baseline."""
import json, sys, time
import redis
from confluent_kafka import Consumer

bootstrap, port, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"naive-{time.time()}", "auto.offset.reset": "earliest",
              "enable.auto.commit": True})
c.subscribe(["dfa.events"])
r = redis.Redis(port=port)
got, start = 0, None
while got < want:
    m = c.poll(1.0)
    if m is None or m.error():
        continue
    if start is None:
        start = time.monotonic()
    got += 1
    try:
        e = json.loads(m.value())
        r.hincrby(f"naive:{e['province']}:{e['occurred_at'][:7]}", e["type"], 1)
    except Exception:
        pass
secs = time.monotonic() - start
print(f"messages={got} seconds={secs:.2f} naive_per_s={got / secs:.0f}")
c.close()
