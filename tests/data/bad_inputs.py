"""The dead-letter corpus: bad inputs with the exact error each must get.

Each entry is (name, payload bytes, error code, reason or None when the
reason is jansson's own wording about a position). The test publishes them
between two valid events and checks every dead-letter record."""
import json

HEAD = {"event_id": "b1", "type": "delegation.out.approved", "occurred_at": "2024-05-10T07:00:00Z",
        "province": "Kien Giang", "reporter": "dept_foreign_affairs", "schema_version": 1,
        "data": {"level": "departments", "members": 3, "countries": ["JP"]}}


def event(**changes):
    e = json.loads(json.dumps(HEAD))
    for k, v in changes.items():
        if k.startswith("data_"):
            if v is None:
                e["data"].pop(k[5:], None)
            else:
                e["data"][k[5:]] = v
        elif v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return json.dumps(e, ensure_ascii=False).encode()


def aid(value):
    e = json.loads(event())
    e["type"] = "ngo.aid.pledged"
    e["data"] = {"donor_id": "d", "form": "project", "sector": "health", "value": value}
    return json.dumps(e).encode()


ORIGINAL = event(event_id="orig-1")
SENTINEL = event(event_id="last-1", province="01", occurred_at="2026-02-01T03:00:00Z")
MISMATCH = event(event_id="retract-1", op="retract", ref="orig-1", data_members=4)

CORPUS = [
    ("blank", b"   ", "json", None),
    ("prose", b"not json", "json", None),
    ("truncated", event()[:40], "json", None),
    ("array", b"[]", "json", "event: expected a JSON object"),
    ("null", b"null", "json", None),
    ("number", b"42", "json", None),
    ("bad utf-8", event(province="Kien Giang").replace(b"Kien", b"Ki\xe1n"), "json", None),
    ("duplicate key", b'{"event_id":"a","event_id":"b"}', "json", "json: column 26: duplicate object key near '\\\"event_id\\\"'"),
    ("deep nesting", b"[" * 3000 + b"]" * 3000, "json", "json: column 2049: maximum parsing depth reached near '['"),
    ("oversized", b'{"event_id":"' + b"x" * 70000 + b'"}', "limit", "event: 70015 bytes, more than the limit of 65536"),
    ("huge integer", event().replace(b'"members": 3', b'"members": 99999999999999999999999'), "json", None),
    ("nul byte", event()[:20] + b"\x00" + event()[20:], "json", None),
    ("no event_id", event(event_id=None), "schema", "event_id: required"),
    ("bad event_id", event(event_id="a/b"), "schema", 'event_id: expected an id of 1..64 characters [A-Za-z0-9._:-], got "a/b"'),
    ("unknown type", event(type="delegation.lost"), "unknown_type", 'type: unknown event type "delegation.lost"'),
    ("no occurred_at", event(occurred_at=None), "schema", "occurred_at: required"),
    ("bad occurred_at", event(occurred_at="10/05/2024"), "time",
     'occurred_at: expected RFC 3339 date-time like 2025-06-30T20:00:00Z, got "10/05/2024"'),
    ("no offset", event(occurred_at="2024-05-10T07:00:00"), "time", 'occurred_at: missing UTC offset (Z or +07:00) in "2024-05-10T07:00:00"'),
    ("unknown province", event(province="Atlantis"), "province", 'province: unknown province "Atlantis"'),
    ("numeric province", event(province=91), "schema", "province: expected a string, got 91"),
    ("unknown reporter", event(reporter="mayor"), "schema",
     'reporter: expected a reporter role of the catalog such as "dept_foreign_affairs", got "mayor"'),
    ("schema_version 2", event(schema_version=2), "schema", "schema_version: expected 1, got 2"),
    ("unknown envelope field", event(source="excel"), "schema", "source: unknown envelope field"),
    ("no data", event(data=None), "schema", "data: required (an object, {} when the type has no fields)"),
    ("members as text", event(data_members="ba"), "schema", 'data.members: expected integer 1..10000, got "ba"'),
    ("members zero", event(data_members=0), "schema", "data.members: expected integer 1..10000, got 0"),
    ("bad country", event(data_countries=["JP", "Japan"]), "schema",
     'data.countries[1]: expected an ISO 3166-1 alpha-2 country code such as "JP", got "Japan"'),
    ("repeated country", event(data_countries=["JP", "JP"]), "schema", 'data.countries[1]: "JP" repeats data.countries[0]'),
    ("unknown data field", event(data_leader="x"), "schema", "data.leader: unknown field for type delegation.out.approved"),
    ("missing level", event(data_level=None), "schema", "data.level: required for type delegation.out.approved"),
    ("bad currency", aid({"amount": 5, "currency": "DOLLAR"}), "schema",
     'data.value.currency: expected an ISO 4217 currency code such as "VND", got "DOLLAR"'),
    ("money as float", aid({"amount": 5.5, "currency": "USD"}), "schema",
     "data.value.amount: expected integer minor units 0..1000000000000000, got 5.5"),
    ("retract without ref", event(op="retract"), "schema", "ref: required when op is retract (the event_id it cancels)"),
    ("unknown op", event(op="undo"), "schema", 'op: expected "add" or "retract", got "undo"'),
    ("retraction mismatch", MISMATCH, "retraction_mismatch",
     "retraction: ref orig-1 names an event with other content (type, province, time or data differ)"),
]
