"""Pasted source code is not an error: the code a page shows as its fix, or as an
example, must not make an unprompted answer to someone pasting their own code."""

import pytest

from conftest import pages_kb_from
from test_identifiers import PAGES

EXAMPLES = {
    "client-rendering-bailout.md": """# Client Rendering Bailout

#### Why This Error Occurred

Reading the search params of a page without a suspense boundary made the whole
page render on the client.

#### Possible Ways to Fix It

Wrap the component that reads them in a suspense boundary:

```tsx
const searchParams = useSearchParams()
const title = searchParams.get('q')
return <h1>{title}</h1>
```
""",
    "module-not-found.md": """# Module Not Found

#### Why This Error Occurred

An import names a module that cannot be resolved from the importing file.

#### Possible Ways to Fix It

Install the package, or correct the import path.
""",
    "server-only-import.md": """# Server-only Import in a Page

#### Why This Error Occurred

A page imported a server-only module, so the build prints
`Module not found: Can't resolve 'fs' in './pages/two.js'` for it.

#### Possible Ways to Fix It

Move the server-only import into a server function.
""",
}


@pytest.fixture(scope="module")
def examples_kb(tmp_path_factory):
    return pages_kb_from(tmp_path_factory, "examples", {**PAGES, **EXAMPLES})


@pytest.mark.parametrize("code", [
    "const searchParams = useSearchParams()",
    "export default function Page() {\n  return <h1>Hello</h1>\n}",
])
def test_someones_code_is_not_answered_unprompted(examples_kb, code):
    assert all(m.confidence != "high" for m in examples_kb.lookup(code))


def test_a_message_that_says_a_title_is_not_the_page_that_quotes_it_as_an_example(
        examples_kb):
    matches = examples_kb.lookup("Module not found: Can't resolve 'fs'\n"
                                 "> 1 | import fs from 'fs'")

    assert all(m.confidence != "high" for m in matches
               if m.entry.id == "server-only-import")
    assert "module-not-found" in [m.entry.id for m in matches]
