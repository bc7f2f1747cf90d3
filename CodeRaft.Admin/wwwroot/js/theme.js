// Remembers the console theme in a first-party cookie so the server can prerender the right theme (no flash).
// Loaded as an ES module from our own origin: allowed by the CSP (script-src 'self'), no inline script.
export function remember(theme) {
    const secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = `coderaft-theme=${theme === "dark" ? "dark" : "light"}; path=/; max-age=31536000; samesite=strict${secure}`;
}
