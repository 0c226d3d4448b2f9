def load_demo() -> str:
    return "demo not built yet"
