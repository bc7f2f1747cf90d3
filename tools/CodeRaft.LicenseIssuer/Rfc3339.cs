using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodeRaft.LicenseIssuer;

/// <summary>RFC 3339 timestamps in UTC with a literal 'Z', as CONTRACTS §7 writes them (e.g. 2026-11-29T15:00:00Z).</summary>
internal static class Rfc3339
{
    private const string WholeSeconds = "yyyy-MM-dd'T'HH:mm:ss'Z'";
    private const string WithFraction = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    /// <summary>
    /// Whole seconds unless the value has a sub-second part: the contract's example has none, and a verifier with a
    /// strict parser then still reads every license the CLI issues (it only ever writes whole seconds).
    /// </summary>
    public static string Format(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        return utc.ToString(utc.Ticks % TimeSpan.TicksPerSecond == 0 ? WholeSeconds : WithFraction, CultureInfo.InvariantCulture);
    }

    /// <summary>Parses a UTC 'Z' timestamp; offsets such as +02:00, a lowercase 'z' or a missing zone are refused.</summary>
    public static bool TryParseUtc(string? text, bool allowFraction, out DateTimeOffset value)
    {
        string[] formats = allowFraction ? [WholeSeconds, WithFraction] : [WholeSeconds];
        return DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }
}

/// <summary>Reads and writes <see cref="DateTimeOffset"/> as an RFC 3339 UTC 'Z' string.</summary>
public sealed class Rfc3339UtcConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String || !Rfc3339.TryParseUtc(reader.GetString(), allowFraction: true, out var value))
        {
            throw new JsonException("Expected an RFC 3339 UTC timestamp ending in 'Z', e.g. 2026-11-29T15:00:00Z.");
        }

        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(Rfc3339.Format(value));
    }
}
