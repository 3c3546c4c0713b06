"""The template environment each front end renders its pages with: its own templates first, then
ptfc.web's under `ptfc/`: the page frame its base.html extends (`ptfc/page.html`) and the macros
every form uses (`ptfc/macros.html`). Only the front ends import this (they bring jinja2)."""

from gettext import NullTranslations

from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape


def environment(package: str, translations: NullTranslations | None = None) -> Environment:
    """`package`'s templates over the shared ones, in the language of `translations`; without them
    (the console, in English only) the shared templates' `_()` gives back the English it is given."""
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader(package, "templates"), PrefixLoader({"ptfc": PackageLoader("ptfc", "web/templates")})]
        ),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations or NullTranslations(), newstyle=True)  # type: ignore[attr-defined]
    return env
