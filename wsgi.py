from statuspage import create_app

app = create_app()
