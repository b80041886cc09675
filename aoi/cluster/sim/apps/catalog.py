"""The four applications the simulator can run, from the AIOpsLab / Cloud-OpsBench topologies.

Service names, namespaces, label keys, container names, ports, images and call edges follow the real
deployments (DeathStarBench hotelReservation and socialNetwork, the OpenTelemetry demo, Google's Online
Boutique as deployed by Cloud-OpsBench).
"""

from __future__ import annotations

from aoi.cluster.sim.apps.model import AppSpec, Call, Component, NodeSpec, kind_nodes

# -- HotelReservation (DeathStarBench, Go + gRPC, consul discovery, MongoDB + memcached) ------------------------
_HOTEL_IMAGE = "yinfangchen/hotelreservation:latest"
_HOTEL_PORTS = {"frontend": 5000, "search": 8082, "geo": 8083, "rate": 8084, "profile": 8081,
                "recommendation": 8085, "user": 8086, "reservation": 8087}
_HOTEL_OPS = {
    "frontend": ("HTTP GET /hotels", "HTTP GET /recommendations", "HTTP POST /user", "HTTP POST /reservation"),
    "search": ("search.Search/Nearby",), "geo": ("geo.Geo/Nearby",), "rate": ("rate.Rate/GetRates",),
    "profile": ("profile.Profile/GetProfiles",),
    "recommendation": ("recommendation.Recommendation/GetRecommendations",),
    "user": ("user.User/CheckUser",), "reservation": ("reservation.Reservation/MakeReservation",
                                                      "reservation.Reservation/CheckAvailability"),
}


def _hotel_service(name: str, calls: tuple[Call, ...]) -> Component:
    return Component(
        name=name, kind="frontend" if name == "frontend" else "service", image=_HOTEL_IMAGE,
        port=_HOTEL_PORTS[name], protocol="http" if name == "frontend" else "grpc",
        container=f"hotel-reserv-{name}", command=(name,), port_name=str(_HOTEL_PORTS[name]),
        calls=(*calls, Call("consul", "consul.Health/Service", critical=False)),
        operations=_HOTEL_OPS[name], cpu_request_m=100, cpu_limit_m=1000, mem_request_mi=64, mem_limit_mi=None,
        log_style="go-hotel", base_latency_ms=1.5 if name != "frontend" else 2.5,
    )


def _hotel_mongo(stem: str) -> Component:
    return Component(
        name=f"mongodb-{stem}", kind="mongodb", image="mongo:4.4.6", port=27017, protocol="mongodb",
        container=f"hotel-reserv-{stem}-mongo", command=("mongod", "--auth"), port_name="mongodb",
        operations=("mongodb.find",), cpu_request_m=100, cpu_limit_m=1000, mem_request_mi=128, mem_limit_mi=None,
        mem_working_mi=110, pvc=f"{stem}-pvc", mount_path="/data/db", log_style="mongo", base_latency_ms=0.8,
    )


def _hotel_memcached(stem: str) -> Component:
    return Component(
        name=f"memcached-{stem}", kind="memcached", image="memcached:1.6.7", port=11211, protocol="memcached",
        container=f"hotel-reserv-{stem}-mmc", port_name="memcached-" + stem, operations=("memcached.get",),
        cpu_request_m=100, cpu_limit_m=1000, mem_request_mi=64, mem_limit_mi=None, log_style="memcached",
        base_latency_ms=0.3, env=(("MEMCACHED_CACHE_SIZE", "128"), ("MEMCACHED_THREADS", "2")),
    )


def _mongo_call(stem: str, db: str) -> Call:
    return Call(f"mongodb-{stem}", "mongodb.find", critical=True, at_startup=True, database=db)


HOTEL_RESERVATION = AppSpec(
    name="hotel-reservation", title="HotelReservation", namespace="test-hotel-reservation",
    label_key="io.kompose.service", entry="frontend",
    entry_operations=(("HTTP GET /hotels", 0.6), ("HTTP GET /recommendations", 0.39), ("HTTP POST /user", 0.005),
                      ("HTTP POST /reservation", 0.005)),
    nodes=kind_nodes(3),
    request_mix=(("frontend", (("HTTP GET /hotels", 0.6, ("search", "profile")),
                               ("HTTP GET /recommendations", 0.39, ("recommendation", "profile")),
                               ("HTTP POST /user", 0.005, ("user",)),
                               ("HTTP POST /reservation", 0.005, ("user", "reservation")))),),
    components=(
        _hotel_service("frontend", (
            Call("search", "search.Search/Nearby"), Call("profile", "profile.Profile/GetProfiles"),
            Call("recommendation", "recommendation.Recommendation/GetRecommendations"),
            Call("user", "user.User/CheckUser"), Call("reservation", "reservation.Reservation/MakeReservation"))),
        _hotel_service("search", (Call("geo", "geo.Geo/Nearby"), Call("rate", "rate.Rate/GetRates"))),
        _hotel_service("geo", (_mongo_call("geo", "geo-db"),)),
        _hotel_service("rate", (_mongo_call("rate", "rate-db"),
                                Call("memcached-rate", "memcached.get", critical=False))),
        _hotel_service("profile", (_mongo_call("profile", "profile-db"),
                                   Call("memcached-profile", "memcached.get", critical=False))),
        _hotel_service("recommendation", (_mongo_call("recommendation", "recommendation-db"),)),
        _hotel_service("user", (_mongo_call("user", "user-db"),)),
        _hotel_service("reservation", (_mongo_call("reservation", "reservation-db"),
                                       Call("memcached-reserve", "memcached.get", critical=False))),
        *(_hotel_mongo(s) for s in ("geo", "rate", "profile", "recommendation", "reservation", "user")),
        *(_hotel_memcached(s) for s in ("rate", "profile", "reserve")),
        Component(name="consul", kind="consul", image="hashicorp/consul:latest", port=8500, protocol="http",
                  container="consul", port_name="8500", operations=("consul.Health/Service",),
                  cpu_request_m=100, cpu_limit_m=1000, mem_request_mi=64, mem_limit_mi=None, log_style="plain",
                  base_latency_ms=0.4),
        Component(name="jaeger", kind="jaeger", image="jaegertracing/all-in-one:1.57", port=16686, protocol="http",
                  container="hotel-reserv-jaeger", port_name="16686", operations=("jaeger.query",),
                  cpu_request_m=100, cpu_limit_m=1000, mem_request_mi=64, mem_limit_mi=None, log_style="plain"),
    ),
)

# -- SocialNetwork (DeathStarBench, C++ + Thrift, nginx-thrift front end) ---------------------------------------
_SN_IMAGE = "deathstarbench/social-network-microservices:latest"


def _sn_service(name: str, calls: tuple[Call, ...], ops: tuple[str, ...]) -> Component:
    binary = "".join(part.capitalize() for part in name.split("-"))
    return Component(
        name=name, kind="service", image=_SN_IMAGE, port=9090, protocol="thrift", container=name,
        command=(binary,), port_name="9090", calls=calls, operations=ops, cpu_request_m=100, cpu_limit_m=None,
        mem_request_mi=64, mem_limit_mi=None, log_style="cpp-thrift", base_latency_ms=1.2,
    )


def _sn_store(name: str) -> Component:
    kind = "mongodb" if name.endswith("mongodb") else "redis" if name.endswith("redis") else "memcached"
    image, port = {"mongodb": ("mongo:4.4.6", 27017), "redis": ("redis:6.2.4", 6379),
                   "memcached": ("memcached:1.6.7", 11211)}[kind]
    return Component(name=name, kind=kind, image=image, port=port, protocol=kind, container=name,
                     command=("mongod", "--config", "/social-network-microservices/config/mongod.conf")
                     if kind == "mongodb" else (), port_name=str(port), operations=(f"{kind}.find",),
                     cpu_request_m=100, cpu_limit_m=None, mem_request_mi=64, mem_limit_mi=None, mem_working_mi=90,
                     log_style={"mongodb": "mongo", "redis": "redis", "memcached": "memcached"}[kind],
                     base_latency_ms=0.6)


def _sn_db(target: str, startup: bool = False) -> Call:
    kind = "mongodb" if target.endswith("mongodb") else "redis" if target.endswith("redis") else "memcached"
    return Call(target, f"{kind}.find", critical=kind != "memcached", at_startup=startup,
                database=target.removesuffix("-mongodb") if kind == "mongodb" else None)


SOCIAL_NETWORK = AppSpec(
    name="social-network", title="SocialNetwork", namespace="test-social-network", label_key="app",
    entry="nginx-thrift",
    request_mix=(("nginx-thrift", (("/wrk2-api/home-timeline/read", 0.6, ("home-timeline-service",)),
                                   ("/wrk2-api/user-timeline/read", 0.3, ("user-timeline-service",)),
                                   ("/wrk2-api/post/compose", 0.1, ("compose-post-service", "user-service")))),),
    entry_operations=(("/wrk2-api/home-timeline/read", 0.6), ("/wrk2-api/user-timeline/read", 0.3),
                      ("/wrk2-api/post/compose", 0.1)),
    nodes=kind_nodes(3),
    components=(
        Component(name="nginx-thrift", kind="frontend", image="yg397/openresty-thrift:xenial", port=8080,
                  protocol="http", container="nginx-thrift", port_name="8080",
                  calls=(Call("compose-post-service", "compose_post"),
                         Call("home-timeline-service", "read_home_timeline"),
                         Call("user-timeline-service", "read_user_timeline"), Call("user-service", "login"),
                         Call("social-graph-service", "follow")),
                  operations=("/wrk2-api/home-timeline/read", "/wrk2-api/user-timeline/read", "/wrk2-api/post/compose"),
                  cpu_request_m=100, cpu_limit_m=None, mem_request_mi=64, mem_limit_mi=None, log_style="plain"),
        Component(name="media-frontend", kind="frontend", image="yg397/media-frontend:xenial", port=8081,
                  target_port=8080, protocol="http", container="media-frontend", port_name="8081",
                  calls=(_sn_db("media-mongodb"),), operations=("/upload-media",), cpu_request_m=100,
                  cpu_limit_m=None, mem_request_mi=64, mem_limit_mi=None, log_style="plain"),
        _sn_service("compose-post-service", (
            Call("text-service", "compose_text"), Call("media-service", "compose_media"),
            Call("unique-id-service", "compose_unique_id"), Call("user-service", "compose_creator_with_userid"),
            Call("post-storage-service", "store_post"), Call("user-timeline-service", "write_user_timeline"),
            Call("home-timeline-service", "write_home_timeline")), ("compose_post",)),
        _sn_service("text-service", (Call("url-shorten-service", "compose_urls"),
                                     Call("user-mention-service", "compose_user_mentions")), ("compose_text",)),
        _sn_service("url-shorten-service", (_sn_db("url-shorten-mongodb", startup=True),
                                            _sn_db("url-shorten-memcached")), ("compose_urls",)),
        _sn_service("user-mention-service", (_sn_db("user-mongodb"), _sn_db("user-memcached")),
                    ("compose_user_mentions",)),
        _sn_service("media-service", (_sn_db("media-mongodb"), _sn_db("media-memcached")), ("compose_media",)),
        _sn_service("unique-id-service", (), ("compose_unique_id",)),
        _sn_service("user-service", (_sn_db("user-mongodb"), _sn_db("user-memcached"),
                                     Call("social-graph-service", "insert_user", critical=False)),
                    ("login", "compose_creator_with_userid", "register_user")),
        _sn_service("social-graph-service", (_sn_db("social-graph-mongodb"), _sn_db("social-graph-redis"),
                                             Call("user-service", "get_user_id", critical=False)),
                    ("follow", "get_followers", "insert_user")),
        _sn_service("post-storage-service", (_sn_db("post-storage-mongodb"), _sn_db("post-storage-memcached")),
                    ("store_post", "read_posts")),
        _sn_service("user-timeline-service", (_sn_db("user-timeline-mongodb"), _sn_db("user-timeline-redis"),
                                              Call("post-storage-service", "read_posts")),
                    ("write_user_timeline", "read_user_timeline")),
        _sn_service("home-timeline-service", (_sn_db("home-timeline-redis"), Call("post-storage-service", "read_posts"),
                                              Call("social-graph-service", "get_followers")),
                    ("write_home_timeline", "read_home_timeline")),
        *(_sn_store(n) for n in ("url-shorten-mongodb", "url-shorten-memcached", "user-mongodb", "user-memcached",
                                 "media-mongodb", "media-memcached", "social-graph-mongodb", "social-graph-redis",
                                 "post-storage-mongodb", "post-storage-memcached", "user-timeline-mongodb",
                                 "user-timeline-redis", "home-timeline-redis")),
        Component(name="jaeger", kind="jaeger", image="jaegertracing/all-in-one:1.57", port=16686, protocol="http",
                  container="jaeger", port_name="16686", operations=("jaeger.query",), cpu_request_m=100,
                  cpu_limit_m=None, mem_request_mi=64, mem_limit_mi=None, log_style="plain"),
    ),
)

# -- AstronomyShop (OpenTelemetry demo; faults are flagd feature flags) -----------------------------------------
_OTEL = "ghcr.io/open-telemetry/demo:1.11.1-"


def _otel(name: str, calls: tuple[Call, ...], ops: tuple[str, ...], protocol: str = "grpc", port: int = 8080,
          kind: str = "service", mem: int = 128, latency: float = 2.0) -> Component:
    return Component(
        name=name, kind=kind, image=_OTEL + name, port=port if kind != "worker" else None,
        protocol=protocol if kind != "worker" else None, container=name, port_name="tcp-service",
        calls=(*calls, Call("flagd", "flagd.evaluation.v1.Service/ResolveBoolean", critical=False))
        if name not in ("flagd", "kafka", "valkey-cart") else calls,
        operations=ops, cpu_request_m=50, cpu_limit_m=None, mem_request_mi=mem // 2, mem_limit_mi=mem,
        mem_working_mi=mem // 3, log_style="otel", base_latency_ms=latency,
        env=tuple((f"{c.target.upper().replace('-', '_')}_ADDR", f"{c.target}:8080") for c in calls
                  if c.target not in ("kafka", "valkey-cart")),
    )


ASTRONOMY_SHOP = AppSpec(
    name="astronomy-shop", title="AstronomyShop", namespace="astronomy-shop", label_key="app.kubernetes.io/name",
    entry="frontend-proxy",
    entry_operations=(("GET /", 0.35), ("GET /api/products", 0.25), ("GET /api/recommendations", 0.15),
                      ("POST /api/cart", 0.12), ("POST /api/checkout", 0.08), ("GET /images", 0.05)),
    nodes=kind_nodes(3), request_rate=30.0,
    request_mix=(("frontend-proxy", (("GET /", 0.95, ("frontend",)), ("GET /images", 0.05, ("image-provider",)))),
                 ("frontend", (("GET /", 0.37, ("product-catalog", "currency", "cart", "ad", "recommendation")),
                               ("GET /api/products", 0.26, ("product-catalog", "currency")),
                               ("GET /api/recommendations", 0.16, ("recommendation",)),
                               ("POST /api/cart", 0.13, ("cart", "product-catalog")),
                               ("POST /api/checkout", 0.08, ("checkout", "currency", "shipping"))))),
    components=(
        _otel("frontend-proxy", (Call("frontend", "GET /"), Call("image-provider", "GET /images", critical=False)),
              ("ingress",), protocol="http", latency=0.8),
        _otel("frontend", (Call("ad", "oteldemo.AdService/GetAds", critical=False),
                           Call("cart", "oteldemo.CartService/GetCart"),
                           Call("checkout", "oteldemo.CheckoutService/PlaceOrder"),
                           Call("currency", "oteldemo.CurrencyService/Convert"),
                           Call("product-catalog", "oteldemo.ProductCatalogService/ListProducts"),
                           Call("recommendation", "oteldemo.RecommendationService/ListRecommendations",
                                critical=False),
                           Call("shipping", "oteldemo.ShippingService/GetQuote")),
              ("GET /", "GET /api/products", "POST /api/checkout"), protocol="http", mem=250, latency=4.0),
        _otel("ad", (), ("oteldemo.AdService/GetAds",), mem=300, latency=3.0),
        _otel("cart", (Call("valkey-cart", "valkey.HGET"),), ("oteldemo.CartService/GetCart",
                                                               "oteldemo.CartService/AddItem",
                                                               "oteldemo.CartService/EmptyCart"), mem=160),
        _otel("checkout", (Call("cart", "oteldemo.CartService/GetCart"),
                           Call("currency", "oteldemo.CurrencyService/Convert"),
                           Call("email", "oteldemo.EmailService/SendOrderConfirmation", critical=False),
                           Call("payment", "oteldemo.PaymentService/Charge", env="PAYMENT_ADDR"),
                           Call("product-catalog", "oteldemo.ProductCatalogService/GetProduct"),
                           Call("shipping", "oteldemo.ShippingService/ShipOrder"),
                           Call("kafka", "orders publish", critical=False)),
              ("oteldemo.CheckoutService/PlaceOrder",), mem=200),
        _otel("currency", (), ("oteldemo.CurrencyService/Convert",), mem=200, latency=0.6),
        _otel("email", (), ("oteldemo.EmailService/SendOrderConfirmation",), protocol="http", mem=100),
        _otel("payment", (), ("oteldemo.PaymentService/Charge",), mem=120),
        _otel("product-catalog", (), ("oteldemo.ProductCatalogService/ListProducts",
                                      "oteldemo.ProductCatalogService/GetProduct"), mem=200, latency=1.0),
        _otel("quote", (), ("POST /getquote",), protocol="http", mem=80),
        _otel("recommendation", (Call("product-catalog", "oteldemo.ProductCatalogService/ListProducts"),),
              ("oteldemo.RecommendationService/ListRecommendations",), mem=250),
        _otel("shipping", (Call("quote", "POST /getquote"),), ("oteldemo.ShippingService/GetQuote",
                                                               "oteldemo.ShippingService/ShipOrder"), mem=200),
        _otel("accounting", (Call("kafka", "orders receive"),), ("orders process",), kind="worker", mem=120),
        _otel("fraud-detection", (Call("kafka", "orders receive"),), ("orders process",), kind="worker", mem=300),
        _otel("image-provider", (), ("GET /images",), protocol="http", port=8081, mem=50, latency=1.5),
        _otel("load-generator", (Call("frontend-proxy", "ingress"),), (), protocol="http", port=8089,
              kind="loadgen", mem=1500),
        _otel("flagd", (), ("flagd.evaluation.v1.Service/ResolveBoolean",), port=8013, kind="flagd", mem=75,
              latency=0.3),
        Component(name="kafka", kind="kafka", image=_OTEL + "kafka", port=9092, protocol="kafka", container="kafka",
                  port_name="plaintext", operations=("orders publish",), cpu_request_m=100, cpu_limit_m=None,
                  mem_request_mi=300, mem_limit_mi=600, mem_working_mi=380, log_style="kafka", base_latency_ms=1.0,
                  startup_seconds=15, probe="tcp"),
        Component(name="valkey-cart", kind="redis", image="valkey/valkey:7.2-alpine", port=6379, protocol="redis",
                  container="valkey-cart", port_name="valkey-cart", operations=("valkey.HGET",), cpu_request_m=50,
                  cpu_limit_m=None, mem_request_mi=20, mem_limit_mi=40, mem_working_mi=12, log_style="redis",
                  base_latency_ms=0.3),
    ),
)

# -- Online Boutique as deployed by Cloud-OpsBench (namespace boutique, 4 nodes) --------------------------------
_OB = "us-central1-docker.pkg.dev/google-samples/microservices-demo/"
_OB_PORTS = {"adservice": 9555, "cartservice": 7070, "checkoutservice": 5050, "currencyservice": 7000,
             "emailservice": 5000, "frontend": 80, "paymentservice": 50051, "productcatalogservice": 3550,
             "recommendationservice": 8080, "redis-cart": 6379, "shippingservice": 50051}
_OB_TARGET = {"emailservice": 8080, "frontend": 8080}
_OB_RES = {  # cpu request, cpu limit, mem request, mem limit (from the real manifests)
    "adservice": (200, 300, 180, 300), "cartservice": (200, 300, 64, 128), "checkoutservice": (100, 200, 64, 128),
    "currencyservice": (100, 200, 64, 128), "emailservice": (100, 200, 64, 128), "frontend": (100, 200, 64, 128),
    "paymentservice": (100, 200, 64, 128), "productcatalogservice": (100, 200, 64, 128),
    "recommendationservice": (100, 200, 220, 450), "redis-cart": (70, 125, 200, 256),
    "shippingservice": (100, 200, 64, 128),
}
_OB_OPS = {
    "adservice": ("hipstershop.AdService/GetAds",), "cartservice": ("hipstershop.CartService/GetCart",
                                                                    "hipstershop.CartService/AddItem"),
    "checkoutservice": ("hipstershop.CheckoutService/PlaceOrder",),
    "currencyservice": ("hipstershop.CurrencyService/Convert", "hipstershop.CurrencyService/GetSupportedCurrencies"),
    "emailservice": ("hipstershop.EmailService/SendOrderConfirmation",),
    "frontend": ("GET /", "GET /product/{id}", "POST /cart", "POST /cart/checkout"),
    "paymentservice": ("hipstershop.PaymentService/Charge",),
    "productcatalogservice": ("hipstershop.ProductCatalogService/ListProducts",
                              "hipstershop.ProductCatalogService/GetProduct"),
    "recommendationservice": ("hipstershop.RecommendationService/ListRecommendations",),
    "redis-cart": ("redis.HGET",), "shippingservice": ("hipstershop.ShippingService/GetQuote",),
}


def _ob_call(target: str, op: str, critical: bool = True) -> Call:
    env = {"productcatalogservice": "PRODUCT_CATALOG_SERVICE_ADDR", "currencyservice": "CURRENCY_SERVICE_ADDR",
           "cartservice": "CART_SERVICE_ADDR", "recommendationservice": "RECOMMENDATION_SERVICE_ADDR",
           "shippingservice": "SHIPPING_SERVICE_ADDR", "checkoutservice": "CHECKOUT_SERVICE_ADDR",
           "adservice": "AD_SERVICE_ADDR", "emailservice": "EMAIL_SERVICE_ADDR",
           "paymentservice": "PAYMENT_SERVICE_ADDR", "redis-cart": "REDIS_ADDR"}[target]
    return Call(target, op, env=env, critical=critical)


def _ob(name: str, calls: tuple[Call, ...] = ()) -> Component:
    cpu_req, cpu_lim, mem_req, mem_lim = _OB_RES[name]
    redis = name == "redis-cart"
    port = _OB_PORTS[name]
    env = [("PORT", str(_OB_TARGET.get(name, port)))] if not redis else []
    env += [(c.env, f"{c.target}:{_OB_PORTS[c.target]}") for c in calls if c.env]
    return Component(
        name=name, kind="redis" if redis else "frontend" if name == "frontend" else "service",
        image="redis:alpine" if redis else f"{_OB}{name}:v0.10.3", port=port, target_port=_OB_TARGET.get(name),
        protocol="redis" if redis else "http" if name == "frontend" else "grpc",
        container="redis" if redis else "server",
        port_name="tcp-redis" if redis else "http" if name == "frontend" else "grpc", calls=calls,
        operations=_OB_OPS[name], cpu_request_m=cpu_req, cpu_limit_m=cpu_lim, mem_request_mi=mem_req,
        mem_limit_mi=mem_lim, mem_working_mi=min(mem_req, mem_lim // 2), probe="tcp" if redis else
        ("http" if name == "frontend" else "grpc"),
        pvc="redis-cart-pvc" if redis else None, log_style="redis" if redis else "boutique", env=tuple(env),
        base_latency_ms={"frontend": 3.0, "checkoutservice": 2.0}.get(name, 1.0),
    )


ONLINE_BOUTIQUE = AppSpec(
    name="online-boutique", title="OnlineBoutique", namespace="boutique", label_key="app", entry="frontend",
    entry_operations=(("GET /", 0.45), ("GET /product/{id}", 0.35), ("POST /cart", 0.12),
                      ("POST /cart/checkout", 0.08)),
    kubernetes_version="v1.31.2", pod_cidr="172.20", service_cidr="10.68",
    request_mix=(("frontend", (("GET /", 0.45, ("productcatalogservice", "currencyservice", "cartservice",
                                                "adservice")),
                               ("GET /product/{id}", 0.35, ("productcatalogservice", "currencyservice", "cartservice",
                                                           "recommendationservice", "adservice")),
                               ("POST /cart", 0.12, ("cartservice", "productcatalogservice")),
                               ("POST /cart/checkout", 0.08, ("checkoutservice", "currencyservice",
                                                              "cartservice")))),),
    nodes=(
        NodeSpec("master", "control-plane", ip="192.168.1.100", unschedulable=True,
                 labels=(("kubernetes.io/role", "master"),)),
        *(NodeSpec(f"worker-0{i}", "worker", ip=f"192.168.1.10{i}",
                   labels=(("disk-type", "ssd"), ("kubernetes.io/role", "node"))) for i in (1, 2, 3)),
    ),
    components=(
        _ob("adservice"),
        _ob("cartservice", (_ob_call("redis-cart", "redis.HGET"),)),
        _ob("checkoutservice", (
            _ob_call("productcatalogservice", "hipstershop.ProductCatalogService/GetProduct"),
            _ob_call("shippingservice", "hipstershop.ShippingService/GetQuote"),
            _ob_call("paymentservice", "hipstershop.PaymentService/Charge"),
            _ob_call("emailservice", "hipstershop.EmailService/SendOrderConfirmation", critical=False),
            _ob_call("currencyservice", "hipstershop.CurrencyService/Convert"),
            _ob_call("cartservice", "hipstershop.CartService/GetCart"))),
        _ob("currencyservice"),
        _ob("emailservice"),
        _ob("frontend", (
            _ob_call("productcatalogservice", "hipstershop.ProductCatalogService/ListProducts"),
            _ob_call("currencyservice", "hipstershop.CurrencyService/GetSupportedCurrencies"),
            _ob_call("cartservice", "hipstershop.CartService/GetCart"),
            _ob_call("recommendationservice", "hipstershop.RecommendationService/ListRecommendations",
                     critical=False),
            _ob_call("shippingservice", "hipstershop.ShippingService/GetQuote"),
            _ob_call("checkoutservice", "hipstershop.CheckoutService/PlaceOrder"),
            _ob_call("adservice", "hipstershop.AdService/GetAds", critical=False))),
        _ob("paymentservice"),
        _ob("productcatalogservice"),
        _ob("recommendationservice", (_ob_call("productcatalogservice",
                                               "hipstershop.ProductCatalogService/ListProducts"),)),
        _ob("redis-cart"),
        _ob("shippingservice"),
    ),
)

APPS: dict[str, AppSpec] = {a.name: a for a in (HOTEL_RESERVATION, SOCIAL_NETWORK, ASTRONOMY_SHOP, ONLINE_BOUTIQUE)}
"""Apps by CLI name."""

APP_TITLES: dict[str, str] = {a.title: a.name for a in APPS.values()}


def get_app(name: str) -> AppSpec:
    """Look up an app by CLI name (`hotel-reservation`) or AIOpsLab title (`HotelReservation`).

    Raises:
        KeyError: with the list of valid names.
    """
    key = APP_TITLES.get(name, name)
    if key not in APPS:
        raise KeyError(f"unknown app {name!r}; valid apps: {', '.join(APPS)}")
    return APPS[key]
