def test_health(api):
    assert api.get("/api/health") == {"status": "ok"}
