"""The Jinja environment our email templates run in: Jinja's own semantics, less work per email.

A rendered email reads about a hundred values and makes a dozen calls (translations, signed
click links, macros); in stock Jinja each goes through general-purpose machinery that was most
of an email's render time. ``EmailEnvironment`` keeps every template's output byte for byte
(``tests/emails/test_render_paths.py`` compares it with a stock environment for every flow's
email in every locale) and does less for the same result:

- **Translations at compile time.** Each locale has its own environment (``rendering``), so
  ``_("Total")`` and a ``{% trans %}`` block without a count are the same string for every
  email of that locale: they are looked up once, when a template is compiled, and become
  constants (escaped at compile time, as Jinja escapes any constant). Blocks with a count
  (``ngettext``) still choose their plural form per email.
- **Dict keys first.** ``item.title`` on a dict tries ``getattr`` first, which raises and
  catches an ``AttributeError`` per lookup; a plain dict has no attribute besides ``dict``'s
  own, so the key is read directly (with the same answer: a key named like a dict method
  still gives the method). On a variable the compiled code reads the key in place; anything
  that is not a plain dict goes through Jinja's ``getattr`` as before.
- **Plain calls.** ``Context.call`` asks every callable whether it wants the context passed;
  a plain function or method without Jinja's marker is called directly.
- **Escaping to a string.** Each ``{{ value }}`` of an HTML template is escaped into a
  ``Markup`` object that is only ever joined into the output; a plain string is escaped by
  MarkupSafe's own routine into a plain string (the same characters), anything else (numbers,
  ``Markup``, objects with ``__html__``) still goes through ``escape``.
- **Templates by name from a dict.** ``{% extends %}`` and ``{% from %}`` load their
  template on every render; with ``auto_reload`` off a loaded template never changes, so it
  is kept by name instead of behind Jinja's locked LRU cache and a new weak reference per
  lookup.
- **Globals as a dict.** A template's globals are a ``ChainMap`` over the environment's so
  that later changes show through; ours are all set before the first template loads, and
  copying a ``ChainMap`` into each render's context cost more than the copy itself.

The translations are read when a template is first compiled and kept with it for the life of
the process (``auto_reload`` is off): new catalogs, like new templates, take a restart, as
they did before (the catalog was loaded once per process).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, MutableMapping
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from jinja2 import Environment, Template, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Context
from jinja2.visitor import NodeTransformer
from markupsafe import _escape_inner, escape

# The names ``install_gettext_translations`` binds; a template assigning one of them (or a
# macro parameter so named) keeps its calls as calls.
_GETTEXT_NAMES = frozenset({"_", "gettext"})
_DICT_ATTRIBUTES = frozenset(dir(dict))
_PLAIN_CALLABLES = (FunctionType, MethodType, BuiltinFunctionType)


def _escape(value: Any) -> str:
    """What ``markupsafe.escape(value)`` writes (its own replacement for a string)."""
    if type(value) is str:
        return _escape_inner(value)
    return escape(value)


class _EmailTemplate(Template):
    @classmethod
    def _from_namespace(
        cls, environment: Environment, namespace: MutableMapping[str, Any], globals: Any
    ) -> Template:
        # The compiled module's output escaping (``escape(...)`` around each printed value)
        # looks ``escape`` up in this namespace when it renders.
        namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


class _EmailCodeGenerator(CodeGenerator):
    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """``item.title`` on a variable: a dict's key read in place (``EmailEnvironment.getattr``
        without the call), Jinja's ``getattr`` for anything else."""
        if (
            self.environment.is_async
            or not isinstance(node.node, nodes.Name)
            or node.attr in _DICT_ATTRIBUTES
        ):
            super().visit_Getattr(node, frame)
            return
        attr = repr(node.attr)
        self.write("(")
        self.visit(node.node, frame)
        self.write(f"[{attr}] if type(")
        self.visit(node.node, frame)
        self.write(f") is dict and {attr} in ")
        self.visit(node.node, frame)
        self.write(" else environment.getattr(")
        self.visit(node.node, frame)
        self.write(f", {attr}))")


class _EmailContext(Context):
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # Jinja's marker (pass_context and friends) is an attribute of the function; a bound
        # method shows its function's. Anything else takes Jinja's own way.
        if type(__obj) in _PLAIN_CALLABLES and not hasattr(__obj, "jinja_pass_arg"):
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception"
                )
        return super().call(__obj, *args, **kwargs)


class _FoldTranslations(NodeTransformer):
    """``_("text")`` and ``gettext("text")`` with a constant text -> the translated constant."""

    def __init__(self, translate: Callable[[str], str]) -> None:
        self.translate = translate

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        self.generic_visit(node)  # changes the node in place
        if (
            isinstance(node.node, nodes.Name)
            and node.node.name in _GETTEXT_NAMES
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and not (node.kwargs or node.dyn_args or node.dyn_kwargs)
        ):
            return nodes.Const(self.translate(node.args[0].value), lineno=node.lineno)
        return node


def _rebinds_gettext(tree: nodes.Template) -> bool:
    """True when the template itself binds ``_`` or ``gettext`` (set, for, macro argument)."""
    return any(
        name.ctx in ("store", "param") and name.name in _GETTEXT_NAMES
        for name in tree.find_all(nodes.Name)
    )


class EmailEnvironment(Environment):
    """A Jinja environment for one locale's templates (see the module docstring)."""

    context_class = _EmailContext
    code_generator_class = _EmailCodeGenerator
    template_class = _EmailTemplate

    def __init__(self, translations: gettext.NullTranslations, **options: Any) -> None:
        super().__init__(**options)
        self.translations = translations
        self._by_name: dict[str, Template] = {}
        # Old-style gettext: one plain call per string where one remains (the plural forms).
        self.install_gettext_translations(translations, newstyle=False)  # type: ignore[attr-defined]

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if _rebinds_gettext(tree):
            return tree
        folded = _FoldTranslations(self.translations.gettext).visit(tree)
        assert isinstance(folded, nodes.Template)
        return folded

    def _load_template(self, name: str, globals: MutableMapping[str, Any] | None) -> Template:
        if globals or self.auto_reload:
            return super()._load_template(name, globals)
        template = self._by_name.get(name)
        if template is None:
            template = self._by_name[name] = super()._load_template(name, globals)
        return template

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}
