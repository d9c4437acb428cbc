from samen.cli import app

app()
