"""Collects a page's Content-Security-Policy violations: the `securitypolicyviolation` events
the document fires and Chromium's console errors about the policy (a refused inline style,
script, socket, …), so a test can assert there were none."""
from __future__ import annotations

# Installed before any of the page's own scripts, in every document the page loads.
_LISTEN_JS = """document.addEventListener("securitypolicyviolation", (e) => {
  window.reportPolicyViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}` +
    ` at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});"""


def watch_policy(page) -> list[str]:
    """Start collecting ``page``'s policy violations; returns the (growing) list of them."""
    violations: list[str] = []
    page.expose_function("reportPolicyViolation", lambda text: violations.append(text))
    page.add_init_script(_LISTEN_JS)
    page.on("console", lambda message: violations.append("console: " + message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    return violations


def wait_for_violations(page, violations: list[str], *directives: str, timeout_ms: int = 10_000) -> str:
    """Wait (bounded) until a violation of each directive is reported; all the reports, joined."""
    for _ in range(timeout_ms // 50):
        reported = " | ".join(violations)
        if all(directive in reported for directive in directives):
            return reported
        page.wait_for_timeout(50)  # lets Playwright deliver the page's reports
    raise AssertionError(f"no report of {directives} within {timeout_ms} ms: {violations}")
