using System.Globalization;
using System.Reflection;
using System.Text;

namespace CodeRaft.Admin.Features.Siem.Formatting;

/// <summary>How a value is made safe for the place it is written to (docs/siem.md, "Formats").</summary>
internal enum SiemEscape
{
    /// <summary>Verbatim (RFC 5424 MSG): only lone surrogates are replaced, as any UTF-8 encoder would.</summary>
    None,

    /// <summary>RFC 5424 header fields: PRINTUSASCII (33–126) only; anything else becomes <c>_</c>.</summary>
    PrintUsAscii,

    /// <summary>RFC 5424 §6.3.3 PARAM-VALUE: <c>"</c>, <c>\</c> and <c>]</c> get a backslash.</summary>
    SdParamValue,

    /// <summary>CEF and LEEF header fields: <c>\</c> and <c>|</c> get a backslash; CR and LF (which would end the line) become a space.</summary>
    PipeHeader,

    /// <summary>CEF extension values: <c>\</c> and <c>=</c> get a backslash, CR and LF become <c>\r</c> and <c>\n</c>.</summary>
    CefExtension,

    /// <summary>
    /// LEEF 2.0 attribute values: LEEF has no escape character, the delimiter (tab) must simply not occur; tab, CR
    /// and LF become <c>\t</c>, <c>\r</c>, <c>\n</c>. Backslashes stay as they are so the details JSON arrives intact.
    /// </summary>
    LeefValue,
}

/// <summary>Shared pieces of the SIEM formatters: escaping with an exact UTF-8 octet budget, severities, timestamps.</summary>
internal static class SiemText
{
    /// <summary>What ends a message whose details were cut to fit a datagram.</summary>
    public const string TruncationMarker = "[truncated]";

    /// <summary>The action of a forwarded checkpoint in every format (no audit action has this name: checkpoints are not entries).</summary>
    public const string CheckpointAction = "audit.checkpoint";

    public const string Vendor = "CodeRaft";

    /// <summary>The portal's version for the CEF/LEEF header (informational version without the source revision).</summary>
    public static readonly string ProductVersion = ReadVersion();

    // One builder per thread: formatting is on the forwarding hot path and messages are short-lived strings.
    [ThreadStatic]
    private static StringBuilder? t_builder;

    public static StringBuilder Rent()
    {
        var builder = t_builder ?? new StringBuilder(1024);
        t_builder = null;
        builder.Clear();
        return builder;
    }

    public static string ToStringAndReturn(StringBuilder builder)
    {
        var text = builder.ToString();
        if (builder.Capacity <= 16 * 1024)
        {
            t_builder = builder;
        }

        return text;
    }

    /// <summary>
    /// Appends <paramref name="value"/> escaped, stopping before the escaped text would exceed <paramref name="maxOctets"/>
    /// UTF-8 octets (never inside a character, a surrogate pair or an escape sequence). Lone surrogates become U+FFFD,
    /// so the octet count is exactly what the sender's UTF-8 encoder produces.
    /// </summary>
    /// <returns>Whether all of the value was appended.</returns>
    public static bool Append(StringBuilder builder, string value, SiemEscape escape, int maxOctets = int.MaxValue)
    {
        var octets = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    if (escape == SiemEscape.PrintUsAscii)
                    {
                        if (!Fits(ref octets, 1, maxOctets))
                        {
                            return false;
                        }

                        builder.Append('_');
                    }
                    else
                    {
                        if (!Fits(ref octets, 4, maxOctets))
                        {
                            return false;
                        }

                        builder.Append(c).Append(value[i + 1]);
                    }

                    i++;
                    continue;
                }

                c = '\uFFFD';
            }

            if (Escaped(c, escape) is { } sequence)
            {
                if (!Fits(ref octets, sequence.Length, maxOctets))
                {
                    return false;
                }

                builder.Append(sequence);
                continue;
            }

            if (!Fits(ref octets, Utf8Length(c), maxOctets))
            {
                return false;
            }

            builder.Append(c);
        }

        return true;
    }

    /// <summary>The UTF-8 octets <see cref="Append"/> would write for all of <paramref name="value"/>.</summary>
    public static int EscapedOctets(string value, SiemEscape escape)
    {
        var octets = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                octets += escape == SiemEscape.PrintUsAscii ? 1 : 4;
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                c = '\uFFFD';
            }

            octets += Escaped(c, escape)?.Length ?? Utf8Length(c);
        }

        return octets;
    }

    public static int Utf8Octets(StringBuilder builder)
    {
        var octets = 0;
        foreach (var chunk in builder.GetChunks())
        {
            octets += Encoding.UTF8.GetByteCount(chunk.Span);
        }

        return octets;
    }

    /// <summary>Syslog severity (RFC 5424 §6.2.1) of an outcome: informational, warning for denied, error for failure.</summary>
    public static int SyslogSeverity(string outcome) => outcome switch
    {
        "success" => 6,
        "denied" => 4,
        "failure" => 3,
        _ => 5, // notice: an outcome outside the vocabulary is worth a look
    };

    /// <summary>CEF severity 0–10 (and LEEF <c>sev</c> 1–10) of an outcome, in the same order as the syslog severity.</summary>
    public static int CefSeverity(string outcome) => outcome switch
    {
        "success" => 3,
        "denied" => 6,
        "failure" => 7,
        _ => 5,
    };

    /// <summary>The chain's timestamp format (CONTRACTS §3) — the only form forwarded as is; anything else is "unknown".</summary>
    public static bool IsChainTimestamp(string timestamp)
    {
        // yyyy-MM-ddTHH:mm:ss.fffZ
        if (timestamp.Length != 24 || timestamp[4] != '-' || timestamp[7] != '-' || timestamp[10] != 'T' || timestamp[13] != ':'
            || timestamp[16] != ':' || timestamp[19] != '.' || timestamp[23] != 'Z')
        {
            return false;
        }

        foreach (var i in (ReadOnlySpan<int>)[0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22])
        {
            if (!char.IsAsciiDigit(timestamp[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Milliseconds since the Unix epoch of a chain timestamp; null when it is not one.</summary>
    public static long? UnixMilliseconds(string timestamp) =>
        IsChainTimestamp(timestamp) && DateTime.TryParseExact(timestamp, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed)
            ? new DateTimeOffset(parsed, TimeSpan.Zero).ToUnixTimeMilliseconds()
            : null;

    private static bool Fits(ref int octets, int more, int maxOctets)
    {
        if (octets + more > maxOctets)
        {
            return false;
        }

        octets += more;
        return true;
    }

    private static int Utf8Length(char c) => c < 0x80 ? 1 : c < 0x800 ? 2 : 3;

    private static string? Escaped(char c, SiemEscape escape) => escape switch
    {
        SiemEscape.None => null,
        SiemEscape.PrintUsAscii => c is >= '!' and <= '~' ? null : "_",
        SiemEscape.SdParamValue => c switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            ']' => "\\]",
            _ => null,
        },
        SiemEscape.PipeHeader => c switch
        {
            '\\' => "\\\\",
            '|' => "\\|",
            '\r' or '\n' => " ",
            _ => null,
        },
        SiemEscape.CefExtension => c switch
        {
            '\\' => "\\\\",
            '=' => "\\=",
            '\r' => "\\r",
            '\n' => "\\n",
            _ => null,
        },
        _ => c switch
        {
            '\t' => "\\t",
            '\r' => "\\r",
            '\n' => "\\n",
            _ => null,
        },
    };

    private static string ReadVersion()
    {
        var assembly = typeof(SiemText).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }
}
