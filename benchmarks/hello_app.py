"""The hello-world FastAPI app the API benchmark measures beside ours (the ratio travels between machines)."""

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello():
        return {"hello": "world"}

    return app
