from socialroi.cli import run

run()
