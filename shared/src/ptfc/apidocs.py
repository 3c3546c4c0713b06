"""The API documents as pages a person reads: `/docs` (Swagger UI, the OpenAPI document) and
`/asyncapi` (AsyncAPI's React component, the events). Their scripts and styles are vendored from
their npm packages into `static/docs/` (pinned below, with their licences) and served by the
service itself under `/docs/assets/`: the pages work offline and load nothing from another host.

Vendored, unchanged, from the packages' tarballs (`npm pack`):
- swagger-ui-dist 5.36.0 (Apache-2.0): swagger-ui-bundle.js, swagger-ui.css, favicon-32x32.png
- @asyncapi/react-component 3.2.1 (Apache-2.0): browser/standalone/index.js as
  asyncapi-standalone.js, styles/default.min.css as asyncapi.css
To update: `npm pack` the new versions, copy the same files, change the versions here and in
docs/operations.md, and run tests/unit/test_api_pages.py."""

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

ASSETS = Path(__file__).parent / "static" / "docs"
PREFIX = "/docs/assets"  # under /docs, which the internal ingress routes by prefix
SERVED = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "asyncapi-standalone.js", "asyncapi.css"}

ASYNCAPI_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="icon" href="{prefix}/favicon-32x32.png">
  <link rel="stylesheet" href="{prefix}/asyncapi.css">
</head>
<body>
  <div id="asyncapi"></div>
  <script src="{prefix}/asyncapi-standalone.js"></script>
  <script>
    AsyncApiStandalone.render({{
      schema: {{ url: "asyncapi.json" }},
      config: {{ show: {{ sidebar: true }}, sidebar: {{ showOperations: "byDefault" }} }},
    }}, document.getElementById("asyncapi"));
  </script>
</body>
</html>
"""


def router(title: str) -> APIRouter:
    pages = APIRouter(tags=["operations"])

    @pages.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title}: API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon-32x32.png",
            # No badge from validator.swagger.io: the page calls no other host.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @pages.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(ASYNCAPI_PAGE.format(title=f"{title}: events", prefix=PREFIX))

    @pages.get(PREFIX + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in SERVED:
            raise HTTPException(404)
        # The files change only with the pinned versions, so a browser may keep them a day.
        return FileResponse(ASSETS / name, headers={"Cache-Control": "public, max-age=86400"})

    return pages
