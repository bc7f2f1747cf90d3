namespace CodeRaft.Admin.Features.Audit.Viewer;

/// <summary>How audit values are shown on screens (inline styles: the CSP allows them, not inline script).</summary>
public static class AuditDisplay
{
    /// <summary>Hashes and JSON: monospace, and long values wrap instead of widening the page.</summary>
    public const string Mono = "font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace; font-size: 0.8125rem; overflow-wrap: anywhere;";

    /// <summary>A table cell's text: long values (a 512-character target id, say) wrap inside it, short ones stay whole.</summary>
    public const string Wrapping = "display: inline-block; max-width: 16rem; overflow-wrap: break-word;";

    /// <summary>A stored timestamp without its ISO separators, for a column headed "UTC"; detail views show it as stored.</summary>
    public static string Time(string timestamp) =>
        timestamp.Length == 24 ? $"{timestamp[..10]} {timestamp[11..23]}" : timestamp;
}
