"""Redaction hides every planted secret, keeps the key that named it, leaves ordinary cluster text alone, and is
idempotent and total."""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aoi.cluster.interface import ClusterError
from aoi.cluster.sim.cluster import SimCluster
from aoi.tools.redaction import MARKER, is_secret_key, redact, redact_diff, redact_text

CANARY = "CANARY"
"""Placeholder in the templates below; hypothesis plants a random secret there."""

# A planted secret: the leading `Zq9` keeps it from reading as a flag (`-x`), a keyword (`true`) or a plain word.
def _plain(secret: str) -> bool:
    """A canary that itself reads like a secret's key name ("...token...") makes the redactor also hide the word
    after it — safe, but not the exact output these tables pin down."""
    return not any(word in secret.lower() for word in ("pass", "pwd", "secret", "token", "key", "auth", "cred"))


canaries = st.text(alphabet=string.ascii_letters + string.digits + "-_.+=~", min_size=10, max_size=40).map(
    lambda s: "Zq9" + s).filter(_plain)
base64_canaries = st.text(alphabet=string.ascii_letters + string.digits + "+/", min_size=16, max_size=64).map(
    lambda s: "Zq9" + s).filter(_plain)
url_canaries = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=10, max_size=40).map(
    lambda s: "Zq9" + s).filter(_plain)

# (text with CANARY where the secret goes, the exact redaction). The redaction defaults to CANARY -> MARKER.
PLANTED: list[tuple[str, str | None]] = [
    # env vars, in every shape they reach the probe
    ("DB_PASSWORD=CANARY", None),
    ("export API_TOKEN='CANARY'", "export API_TOKEN='[REDACTED]'"),
    ("env:\n- name: MONGO_INITDB_ROOT_PASSWORD\n  value: CANARY\n- name: PORT\n  value: \"8080\"\n", None),
    ('{"name": "REDIS_PASSWORD", "value": "CANARY"}', None),
    ('"env": [\n  {\n    "name": "STRIPE_SECRET",\n    "value": "CANARY"\n  }\n]', None),
    ("    Environment:\n      ADMIN_PASSWORD:  CANARY\n      PORT:            8080\n", None),
    ('"Env": ["PATH=/usr/local/bin", "SECRET_KEY=CANARY"]', None),
    ("password: \"CANARY\"\nuser: admin", 'password: "[REDACTED]"\nuser: admin'),
    ("password: |\n  CANARY\n  CANARY\nuser: admin", "password: |\n  [REDACTED]\nuser: admin"),
    # command lines
    ("/usr/bin/server --db-password=CANARY --port=8080", None),
    ("server --token CANARY --verbose", None),
    ("mysql -u root -pCANARY orders", None),
    ("mongo --host mongodb-geo -u admin -p CANARY admin", None),
    ("redis-cli -h redis-cart -p 6379 -a CANARY ping", None),
    ("args:\n- --api-key\n- CANARY\n- --port=8080\n", None),
    ("    Args:\n      --password\n      CANARY\n    State:  Running\n", None),
    ('"args": ["--token", "CANARY"]', None),
    # connection URLs
    ("mongodb://admin:CANARY@mongodb-geo:27017/geo-db", None),
    ("redis://:CANARY@redis-cart:6379/0", None),
    ("dial postgres://app:CANARY@pg.db.svc:5432/app?sslmode=disable failed", None),
    # headers
    ("Authorization: Bearer CANARY", None),
    ("Authorization: Basic CANARY", None),
    ('{"headers": {"Authorization": "Bearer CANARY", "Accept": "*/*"}}', None),
    ("curl -H 'Authorization: Bearer CANARY' http://frontend:8080/", None),
    ("X-Api-Key: CANARY", None),
    # generic token= / secret= / apikey=
    ("GET /callback?code=7&access_token=CANARY&state=x", None),
    ('level=info msg="call" apikey=CANARY secret=CANARY', None),
    ('{"level":"info","password":"CANARY","msg":"login"}', None),
    ("{'user': 'bob', 'passwd': 'CANARY'}", None),
    ("config loaded: &{Host:db Password:CANARY Port:5432}", None),
    ("2026-01-05T09:00:00Z INF auth ok, refresh token: CANARY", None),
    ("Annotations:       example.com/api-token: CANARY\nSelector:          app=adservice", None),
    ('{"msg": "{\\"password\\":\\"CANARY\\"}", "level": "warn"}', None),
    ("redirect url=http://frontend/cb?token=CANARY&state=1", None),
    ("aws_secret_access_key = CANARY", None),
    # Secret dumps and describe output
    ("apiVersion: v1\ndata:\n  password: CANARY\n  username: CANARY\nkind: Secret\nmetadata:\n  name: db\n", None),
    ("apiVersion: v1\nkind: Secret\nstringData:\n  config.yaml: |\n    dsn: CANARY\n    x: CANARY\ntype: Opaque\n",
     "apiVersion: v1\nkind: Secret\nstringData:\n  config.yaml: [REDACTED]\ntype: Opaque\n"),
    ("items:\n- apiVersion: v1\n  data:\n    tls.key: CANARY\n  kind: Secret\n", None),
    ('{\n  "apiVersion": "v1",\n  "data": {\n    "password": "CANARY",\n    "user": "CANARY"\n  },\n'
     '  "kind": "Secret"\n}', None),
    ('    kubectl.kubernetes.io/last-applied-configuration: |\n      {"apiVersion":"v1","data":{"password":"CANARY"},'
     '"kind":"Secret"}\n', None),
    ('"annotations": {"last-applied": "{\\"data\\":{\\"token\\":\\"CANARY\\"},\\"kind\\":\\"Secret\\"}"}', None),
    ("Data\n====\nDB_PASSWORD:\n----\nCANARY\n\nLOG_LEVEL:\n----\ninfo\n", None),
    # names the outside test found leaking (issue 20)
    ("DB_PASS=CANARY", None),
    ("MYSQL_PWD=CANARY", None),
    ("export ADMIN_PW=CANARY", None),
    ("PGPASS=CANARY", None),
    ("env:\n- name: JWT_SIGNING_KEY\n  value: CANARY\n", None),
    ('{"name": "HMAC_KEY", "value": "CANARY"}', None),
    ("    Environment:\n      ENCRYPTION_KEY:  CANARY\n      SESSION_KEY:  CANARY\n", None),
    ("SSH_PRIVATE_KEY=CANARY TLS_KEY=CANARY", None),
    ("SENTRY_DSN=CANARY", None),
    ("SLACK_WEBHOOK_URL=CANARY", None),
    ("notify https://hooks.slack.com/services/T01ABC/B02DEF/CANARY failed",
     "notify https://hooks.slack.com/services/[REDACTED] failed"),
    ("sentry: https://CANARY@o4507.ingest.sentry.io/4508", None),
    # kubeconfig
    ("users:\n- name: admin\n  user:\n    client-certificate-data: CANARY\n    client-key-data: CANARY\n"
     "    token: CANARY\n    password: CANARY\n", None),
]

PLANTED_BASE64: list[tuple[str, str]] = [
    ("-----BEGIN RSA PRIVATE KEY-----\nCANARY\nCANARY\n-----END RSA PRIVATE KEY-----\nnext line",
     "-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----\nnext line"),
    ("tls.crt: |\n  -----BEGIN PRIVATE KEY-----\n  CANARY\n", "tls.crt: |\n  -----BEGIN PRIVATE KEY-----[REDACTED]"),
    ("tls.key: |\n  -----BEGIN PRIVATE KEY-----\n  CANARY\n", "tls.key: |\n  [REDACTED]\n"),
    ('{"key": "-----BEGIN EC PRIVATE KEY-----\\nCANARY\\n-----END EC PRIVATE KEY-----\\n"}',
     '{"key": "-----BEGIN EC PRIVATE KEY-----[REDACTED]-----END EC PRIVATE KEY-----\\n"}'),
]


def _expected(template: str, expected: str | None) -> str:
    return template.replace(CANARY, MARKER) if expected is None else expected


@pytest.mark.parametrize(("template", "expected"), PLANTED)
@settings(max_examples=25, deadline=None)
@given(canary=canaries)
def test_a_planted_secret_is_replaced_by_the_marker_and_its_key_is_kept(template: str, expected: str | None,
                                                                        canary: str) -> None:
    redacted = redact_text(template.replace(CANARY, canary))
    assert canary not in redacted
    assert redacted == _expected(template, expected)


@pytest.mark.parametrize(("template", "expected"), PLANTED_BASE64)
@settings(max_examples=25, deadline=None)
@given(canary=base64_canaries)
def test_private_key_bodies_are_hidden_even_when_truncated(template: str, expected: str, canary: str) -> None:
    redacted = redact_text(template.replace(CANARY, canary))
    assert canary not in redacted
    assert redacted == expected


@settings(max_examples=50, deadline=None)
@given(header=url_canaries, payload=url_canaries, signature=url_canaries)
def test_a_jwt_anywhere_in_a_line_is_hidden_whole(header: str, payload: str, signature: str) -> None:
    line = f"validated eyJ{header}.eyJ{payload}.{signature} for user 42"
    assert redact_text(line) == f"validated {MARKER} for user 42"


@settings(max_examples=50, deadline=None)
@given(suffix=st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=16))
def test_an_aws_access_key_id_is_hidden(suffix: str) -> None:
    assert redact_text(f"using key AKIA{suffix} in us-east-1") == f"using key {MARKER} in us-east-1"


TOKEN_FORMATS = {
    "stripe secret": "sk_test_", "stripe restricted": "rk_test_", "stripe live": "sk_live_",
    "openai project": "sk-proj-", "anthropic": "sk-ant-api03-", "hugging face": "hf_", "gitlab": "glpat-",
    "npm": "npm_", "github": "ghp_", "github fine-grained": "github_pat_", "google oauth": "ya29.",
}


@pytest.mark.parametrize("prefix", list(TOKEN_FORMATS.values()), ids=list(TOKEN_FORMATS))
@settings(max_examples=20, deadline=None)
@given(body=st.text(alphabet=string.ascii_letters + string.digits, min_size=40, max_size=60))
def test_a_token_is_hidden_by_its_format_wherever_it_appears(prefix: str, body: str) -> None:
    token = prefix + body
    assert redact_text(f"calling upstream with {token} now") == f"calling upstream with {MARKER} now"
    assert redact_text(f'{{"note": "{token}"}}') == f'{{"note": "{MARKER}"}}'


def test_sendgrid_and_aws_and_private_key_shapes_are_hidden() -> None:
    sendgrid = "SG." + "a1B2c3D4e5F6g7H8i9J0kL" + "." + "x" * 43
    assert redact_text(f"mail via {sendgrid}") == f"mail via {MARKER}"
    assert redact_text("AKIA" + "Q" * 16) == MARKER
    assert MARKER in redact_text('{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----"}')


@pytest.mark.parametrize("text", [
    "PASSAGE=north", "keyboard: us", "session_count: 3", "passage of time", "compass=north", "bypass: true",
    "sessions=4 key=color", "primary_key: id", "sk-8 pod restarted", "hf_score=1", "SG.local", "npm_config_cache=/x",
    "PGPASSFILE=/etc/pgpass", "https://hooks.example.com/services/a", "glpat", "keyspace: orders",
])
def test_ordinary_words_that_resemble_secret_names_are_kept(text: str) -> None:
    assert redact_text(text) == text


def test_well_known_token_formats_are_hidden_without_a_key() -> None:
    text = ("gh: ghp_" + "a1" * 18 + "\nslack xoxb-1234567890-abcdefghij\ngoogle AIza" + "B" * 35)
    assert redact_text(text) == f"gh: {MARKER}\nslack {MARKER}\ngoogle {MARKER}"


# -- what must stay intact ----------------------------------------------------------------------------------------
UNCHANGED = [
    "NAME                                     READY   STATUS             RESTARTS      AGE   IP            NODE\n"
    "adservice-qp456fmr74-bwrzf               1/1     Running            0             25s   172.20.1.11   worker-01\n"
    "cartservice-nrktfs8nnq-qjlp6             0/1     CrashLoopBackOff   4 (12s ago)   3m    172.20.2.7    worker-02\n",
    '{"http.req.id":"f55e3aa2-208a-493e-a960-af85c9df7e44","http.req.path":"/cart","http.resp.status":200,'
    '"message":"request complete","session":"eab9221b-4b36-4545-aca1-a034633cbf79","severity":"debug",'
    '"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}',
    "2026-01-05T09:00:05Z INF cmd/geo/main.go:42 > Initializing jaeger agent [service name: geo | host: jaeger:6831]",
    "panic: no reachable servers\n\ngoroutine 1 [running]:\nmain.initializeDatabase({0xc000028012, 0xf})",
    "    Container ID:   containerd://d867056a266c12505d71fd093fcfa0012a2efed668f3cf5384fb1b1e286d3e22\n"
    "    Image ID:       docker.io/library/redis@sha256:"
    "8b0e4f9c2a1d3e5f7a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f",
    "  Normal  Pulled  25s  kubelet  Successfully pulled image \"redis:7.2@sha256:4a9c1f0e2b3d\" in 1.03s",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 built from branch main",
    "    Environment:\n      MONGO_INITDB_ROOT_PASSWORD:  <set to the key 'password' in secret 'mongodb-admin'>  "
    "Optional: false\n      PORT:  8083\n",
    "  kube-api-access-2mprh:\n    Type:                    Projected (a volume that contains injected data from "
    "multiple sources)\n    TokenExpirationSeconds:  3607\n",
    "Name:         mongodb-admin\nType:  Opaque\n\nData\n====\npassword:  5 bytes\nusername:  5 bytes\n",
    "Image pull secrets:  regcred\nMountable secrets:   default-token-x7k2p\nTokens:              <none>\n",
    "Failed to pull image \"ghcr.io/acme/ad:1\": failed to authorize: failed to fetch anonymous token: unexpected "
    "status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fad%3Apull",
    "        env:\n        - name: MONGO_PASSWORD\n          valueFrom:\n            secretKeyRef:\n"
    "              key: password\n              name: mongodb-admin\n      automountServiceAccountToken: false\n"
    "      imagePullSecrets:\n      - name: regcred\n",
    "      - command:\n        - mongod\n        - --auth\n        env:\n        - name: TZ\n",
    "    - serviceAccountToken:\n        expirationSeconds: 3607\n        path: token\n",
    "kubectl logs -p frontend-d65mpj2pqq-rcq5x -n boutique --tail=50",
    "connecting to mongodb://mongodb-geo:27017/geo-db and http://frontend:8080/cart?id=1",
    "ca.crt: |\n  -----BEGIN CERTIFICATE-----\n  MIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAV\n"
    "  -----END CERTIFICATE-----\n",
    "token validation failed: expired",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_cluster_text_is_left_exactly_as_it_was(text: str) -> None:
    assert redact_text(text) == text


def _sim_outputs(cluster: SimCluster) -> Iterator[str]:
    ns = cluster.namespace
    yield cluster.events()
    yield cluster.get_resources("pods", wide=True, show_labels=True)
    for kind in ("pods", "deployments", "services", "configmaps", "secrets", "serviceaccounts", "nodes"):
        for row in cluster.get_resources(kind).splitlines()[1:]:
            yield cluster.describe(kind, row.split()[0])
    for row in cluster.get_resources("pods").splitlines()[1:]:
        for previous in (False, True):
            try:
                yield cluster.logs(row.split()[0], ns, tail=5000, previous=previous)
            except ClusterError:  # a container that never ran, or never restarted, has no such log
                continue
    for service in cluster.services(ns):
        yield cluster.app_manifest(service, ns)


@pytest.mark.parametrize(("app", "fault"), [
    ("hotel-reservation", None), ("social-network", None), ("astronomy-shop", None), ("online-boutique", None),
    ("hotel-reservation", "revoke_auth_mongodb"), ("social-network", "auth_miss_mongodb"),
    ("online-boutique", "missing_image_pull_secret"),
])
def test_nothing_the_simulator_prints_is_changed(app: str, fault: str | None) -> None:
    cluster = SimCluster(app, seed=0, warmup_ticks=6)
    if fault:
        cluster.inject(fault)
        cluster.tick(24)
    changed = [text for text in _sim_outputs(cluster) if redact_text(text) != text]
    assert changed == []


@pytest.mark.timeout(10)
@pytest.mark.parametrize("text", [
    "a:" * 50_000, "http://a:" * 12_000, "\\" * 100_000, '\\"' * 50_000, '"a":' * 25_000, "x token: " * 12_000,
    "mysql" + " a" * 50_000, "-----BEGIN RSA PRIVATE KEY-----\n" * 3_000, "password=" * 12_000, "- --token\n" * 10_000,
], ids=["colons", "urls", "backslashes", "escaped-quotes", "json-keys", "inline-keys", "client-line", "pem", "assign",
        "flag-list"])
def test_long_adversarial_text_is_redacted_in_linear_time(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


# -- keys ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["MONGO_INITDB_ROOT_PASSWORD", "password", "apiKey", "api_key", "client-key-data",
                                 "client-certificate-data", "id-token", "AWS_SECRET_ACCESS_KEY", "Authorization",
                                 "X-Auth-Token", "redis_requirepass", "pwd", "auth", "Set-Cookie", "dbCredentials",
                                 "DB_PASS", "MYSQL_PWD", "ADMIN_PW", "PGPASS", "JWT_SIGNING_KEY", "hmacKey",
                                 "ENCRYPTION_KEY", "SESSION_KEY", "JWT_KEY", "SSH_KEY", "TLS_KEY", "tls.key",
                                 "SENTRY_DSN", "SLACK_WEBHOOK_URL", "signing-key"])
def test_keys_that_name_a_secret_are_recognised(key: str) -> None:
    assert is_secret_key(key) is True


@pytest.mark.parametrize("key", ["secretKeyRef", "secretName", "tokenExpirationSeconds", "passwordFile", "token_path",
                                 "Mountable secrets", "imagePullSecrets", "automountServiceAccountToken_enabled",
                                 "username", "bypass", "oauth", "keyspace", "key", "name", "", "PASSAGE",
                                 "keyboard", "session_count", "PGPASSFILE", "DB_PASS_FILE", "primary_key",
                                 "sessionTimeout", "tls.crt"])
def test_keys_that_only_refer_to_a_secret_are_not(key: str) -> None:
    assert is_secret_key(key) is False


# -- structures ---------------------------------------------------------------------------------------------------
def test_a_secret_object_keeps_its_shape_and_loses_its_values() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "type": "Opaque",
              "data": {"password": "aHVudGVyMg==", "host": "ZGI="}, "stringData": {"note": "plain"}}
    assert redact(secret) == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
                              "type": "Opaque", "data": {"password": MARKER, "host": MARKER},
                              "stringData": {"note": MARKER}}


def test_env_values_and_secret_keys_are_hidden_in_nested_structures() -> None:
    pod = {"spec": {"automountServiceAccountToken": False, "containers": [{
        "name": "app", "args": ["--token", "abc123xyz"],
        "env": [{"name": "DB_PASSWORD", "value": "hunter22"}, {"name": "PORT", "value": "8080"},
                {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "key"}}}]}]},
        "token": 12345, "password": None, "creds": ("a", "b")}
    assert redact(pod) == {"spec": {"automountServiceAccountToken": False, "containers": [{
        "name": "app", "args": ["--token", "abc123xyz"],
        "env": [{"name": "DB_PASSWORD", "value": MARKER}, {"name": "PORT", "value": "8080"},
                {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "key"}}}]}]},
        "token": MARKER, "password": None, "creds": ("a", "b")}


def test_strings_inside_structures_are_redacted_as_text_and_container_types_survive() -> None:
    value = {"log": ["DB_PASSWORD=x1y2z3", ("redis://:p4ss@r:6379",)], "ids": {"a", "b"}, b"k": b"token=abc123",
             "n": 3.5}
    assert redact(value) == {"log": [f"DB_PASSWORD={MARKER}", (f"redis://:{MARKER}@r:6379",)], "ids": {"a", "b"},
                             b"k": f"token={MARKER}".encode(), "n": 3.5}


def test_a_cyclic_structure_is_cut_off_with_the_marker_instead_of_recursing_forever() -> None:
    loop: list[Any] = ["ok"]
    loop.append(loop)
    depth = 0
    node = redact(loop)
    while isinstance(node, list):
        assert node[0] == "ok"
        node, depth = node[1], depth + 1
    assert node == MARKER
    assert depth == 100


def test_a_mapping_that_fails_while_walked_is_hidden_whole() -> None:
    class Hostile(dict[str, str]):
        def items(self) -> Any:
            raise RuntimeError("boom")

    assert redact({"outer": Hostile(a="b")}) == MARKER


def test_text_redaction_accepts_non_strings_without_raising() -> None:
    assert redact_text(None) == "None"  # type: ignore[arg-type]
    assert redact_text(b"password=abc123") == f"b'password={MARKER}'"  # type: ignore[arg-type]


# -- properties ---------------------------------------------------------------------------------------------------
FRAGMENTS = ["password", "token", "Authorization", "Bearer ", ": ", "=", " ", "\n", "  ", "- ", '"', "'", "\\",
             '\\"', "{", "}", "[", "]", ",", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "eyJ",
             "eyJabcdefgh.", "://", "@", "mongodb://u:p@h", "kind: Secret", '"kind": "Secret"', "data:", '"data": {',
             "name: ", "value: ", "--token", "-p", "mysql", "redis-cli", "-a", "|", "----", "Data", MARKER,
             "Zq9abc123", "secretKeyRef", "<none>", "\t", "\r", "&", ";", "?", "#"]
cluster_text = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=30).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(cluster_text)
def test_redacting_text_is_idempotent_and_never_raises(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | cluster_text | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.sampled_from(["name", "value", "kind", "data", "password", "token", "msg", "env"])
                      | st.text(max_size=8), inner, max_size=4)
    | st.builds(lambda d: {**d, "kind": "Secret"}, st.dictionaries(st.sampled_from(["data", "stringData"]), inner)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_like)
def test_redacting_a_structure_is_idempotent_and_never_raises(value: Any) -> None:
    once = redact(value)
    assert redact(once) == once


# -- diffs --------------------------------------------------------------------------------------------------------
def test_a_unified_diff_hides_secrets_on_both_sides_and_keeps_its_markers() -> None:
    diff = ("--- a/Deployment/frontend\n+++ b/Deployment/frontend\n@@ -44,6 +44,8 @@\n"
            "         - name: DB_PASSWORD\n-          value: Zq9old-secret-value\n"
            "+          value: Zq9new-secret-value\n"
            "         - name: PORT\n           value: \"8080\"\n"
            "+        - name: API_TOKEN\n+          value: Zq9added-token\n")
    assert redact_diff(diff) == (
        "--- a/Deployment/frontend\n+++ b/Deployment/frontend\n@@ -44,6 +44,8 @@\n"
        "         - name: DB_PASSWORD\n-          value: [REDACTED]\n+          value: [REDACTED]\n"
        "         - name: PORT\n           value: \"8080\"\n+        - name: API_TOKEN\n+          value: [REDACTED]\n")
    assert redact_diff(redact_diff(diff)) == redact_diff(diff)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["+", "-", " ", "@@ ", "+++ "]), cluster_text), max_size=12))
def test_redacting_a_diff_never_raises_and_keeps_no_planted_password(lines: list[tuple[str, str]]) -> None:
    diff = "\n".join(mark + text for mark, text in lines) + "\n+  password: Zq9planted-value"
    once = redact_diff(diff)
    assert isinstance(once, str) and "Zq9planted-value" not in once
