"""Drive vecbolt's HTTP API with Python's standard library only, following
/openapi.json: every call is found by its operationId. Usage:
drive.py BASE_URL (the API key is read from VECBOLT_TEST_KEY)."""
import json
import os
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1]
KEY = os.environ["VECBOLT_TEST_KEY"]


def request(method, path, body=None, key=KEY):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", "Bearer " + key)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


status, doc = request("GET", "/openapi.json", key=None)
assert status == 200 and doc["openapi"].startswith("3."), status
ops = {}
for path, methods in doc["paths"].items():
    for method, op in methods.items():
        ops[op["operationId"]] = (method.upper(), path, op)


def call(op_id, body=None, api_key=KEY, **params):
    method, path, op = ops[op_id]
    for name, value in params.items():
        path = path.replace("{" + name + "}", urllib.request.quote(value, safe=""))
    assert "{" not in path, path
    return request(method, path, body, api_key)


def schema_props(op_id):
    ref = ops[op_id][2]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return doc["components"]["schemas"][ref.split("/")[-1]]["properties"]


# Build request bodies only from fields the document declares.
assert {"name", "config"} <= set(schema_props("post_collections"))
assert {"vector", "key", "k", "filter", "threshold"} <= set(schema_props("post_collections_name_search"))

status, _ = call("post_collections", {"name": "py", "config": {"dim": 3}})
assert status == 201, status
records = [{"key": "x%d" % i, "vector": [1.0, float(i), 0.5], "metadata": {"i": i}} for i in range(1, 21)]
status, body = call("post_collections_name_records", {"records": records}, name="py")
assert status == 200 and body["upserted"] == 20, (status, body)

status, body = call("post_collections_name_search", {"vector": [1.0, 5.0, 0.5], "k": 3, "exact": True}, name="py")
assert status == 200, (status, body)
assert body["hits"][0]["key"] == "x5", body
assert abs(body["hits"][0]["score"] - 1.0) < 1e-5, body

status, body = call("post_collections_name_search", {"key": "x5", "k": 2, "exact": True, "filter": "i > 5"}, name="py")
assert status == 200 and [h["key"] for h in body["hits"]] == ["x6", "x7"], body

status, body = call("get_collections_name_records_key", name="py", key="x7")
assert status == 200 and body["vector"] == [1.0, 7.0, 0.5] and body["metadata"] == {"i": 7}, body

status, body = call("get_collections_name_records_key", name="py", key="nope")
assert status == 404 and body["error"]["code"] == "key_not_found", body

status, body = call("get_collections", api_key=None)
assert status == 401 and body["error"]["code"] == "unauthorized", body

status, body = call("post_collections_name_search", {"text": "hello"}, name="py")
assert status == 422 and body["error"]["code"] == "no_embedder", body

status, body = call("get_collections_name", name="py")
assert status == 200 and body["records"] == 20, body

status, body = call("delete_collections_name", name="py")
assert status == 204, status
print("OK", len(ops), "operations documented")
