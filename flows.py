import driftloop as dl

@dl.step
def hello(who: str) -> str:
    print(f"hello {who}")
    return who

@dl.pipeline
def greet(who: str = "world"):
    hello(who)
