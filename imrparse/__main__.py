from imrparse.cli.commands import app

app(prog_name="imrparse")
