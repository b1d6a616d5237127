from app import VERSION, app


def call(path: str) -> tuple[str, bytes]:
    status = []
    body = b"".join(app({"PATH_INFO": path}, lambda s, h: status.append(s)))
    return status[0], body


def test_healthz() -> None:
    assert call("/healthz") == ("200 OK", b"ok\n")


def test_index_names_version() -> None:
    status, body = call("/")
    assert status == "200 OK"
    assert VERSION.encode() in body
