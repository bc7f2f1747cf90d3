using System.Globalization;
using CodeRaft.Admin.Features.Audit.Chain;

namespace CodeRaft.Admin.Features.Audit.Viewer;

/// <summary>
/// What the audit log's filter form edits. Everything is text, exactly as typed (or as it came in the query
/// string), so that a bad value is shown back with a message instead of failing a conversion;
/// <see cref="AuditFilterInputValidator"/> decides what is acceptable and <see cref="ToFilter"/> converts.
/// Times are UTC, like the log's timestamps.
/// </summary>
public sealed class AuditFilterInput
{
    public const int MaxLength = 512;

    /// <summary>What a browser's datetime-local input sends, with or without seconds, or a bare date.</summary>
    public static readonly string[] TimeFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"];

    public string? From { get; set; }
    public string? To { get; set; }
    public string? Product { get; set; }
    public string? Category { get; set; }
    public string? Action { get; set; }
    public string? Outcome { get; set; }
    public string? Actor { get; set; }
    public string? Target { get; set; }
    public string? Text { get; set; }

    /// <summary>The query filter; call only after <see cref="AuditFilterInputValidator"/> accepted this input.</summary>
    public AuditFilter ToFilter() => new()
    {
        From = ParseTime(From) is { } from ? from.Start : null,
        To = ParseTime(To) is { } to ? to.End : null,
        Product = Blank(Product),
        Category = Blank(Category),
        Action = Blank(Action),
        Outcome = Blank(Outcome),
        Actor = Blank(Actor),
        Target = Blank(Target),
        Text = Blank(Text),
    };

    /// <summary>
    /// The instants a typed time stands for: "2026-03-01" is the whole day and "2026-03-01T10:15" the whole
    /// minute, so "to" is inclusive of what the user wrote (the log stores milliseconds).
    /// </summary>
    public static (DateTimeOffset Start, DateTimeOffset End)? ParseTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)
            || !DateTime.TryParseExact(text.Trim(), TimeFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return null;
        }

        var start = new DateTimeOffset(parsed, TimeSpan.Zero);
        var length = text.Trim().Length switch
        {
            10 => TimeSpan.FromDays(1),
            16 => TimeSpan.FromMinutes(1),
            _ => TimeSpan.FromSeconds(1),
        };
        var end = DateTimeOffset.MaxValue - start > length ? start + length - TimeSpan.FromMilliseconds(1) : DateTimeOffset.MaxValue;
        return (start, end);
    }

    /// <summary>The product and outcome lists of the form: the audit vocabulary.</summary>
    public static IReadOnlyList<string> Products => AuditVocabulary.Products;

    public static IReadOnlyList<string> Outcomes => AuditVocabulary.Outcomes;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
