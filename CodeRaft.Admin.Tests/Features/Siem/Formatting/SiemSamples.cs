using System.Text;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Formatting;

namespace CodeRaft.Admin.Tests.Features.Siem.Formatting;

/// <summary>Records shared by the formatter tests, and small parsers for CEF and LEEF written from their specifications.</summary>
public static class SiemSamples
{
    public static readonly SyslogHeader Header = new("portal.example.com", 4242);

    public static AuditEntry Entry(string outcome = "success") => new()
    {
        Sequence = 1042,
        Timestamp = "2026-11-29T08:15:30.123Z",
        Product = "admin",
        Category = "apikeys",
        Action = "apikey.created",
        Outcome = outcome,
        ActorType = "user",
        ActorId = "3f2b8c1e-5d4a-4f6b-9a7c-2e1d0c9b8a71",
        ActorName = "alice@example.com",
        SourceIp = "203.0.113.7",
        TargetType = "apikey",
        TargetId = "crk_7Hq2LmN9pQ",
        Details = """{"name":"ci-deploy","scopes":["audit:write"],"expiresAt":"2027-02-27T08:15:30.123Z"}""",
        PreviousHash = "5f1c9a0d3b7e2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a",
        Hash = "9d4e2b7a1c3f5e8d0b2a4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a",
    };

    public static AuditCheckpoint Checkpoint() => new()
    {
        Sequence = 1042,
        Hash = "9d4e2b7a1c3f5e8d0b2a4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a",
        Timestamp = "2026-11-29T08:20:00.000Z",
        KeyId = "a1b2c3d4e5f60718",
        // 64 bytes (P1363 r||s) in base64, as the signer writes them; not a real signature.
        Signature = "83mL1v8hVGeRTQ0u41F24zYosd1wsdg9/mjBIigG5+uFXH570ftg5FDMMg0aeF5L23hH9Z/GlV51iz3IkkiUfQ==",
    };

    public static SiemRecord Of(AuditEntry entry) => new(entry, null);

    public static SiemRecord Of(AuditCheckpoint checkpoint) => new(null, checkpoint);

    /// <summary>What a UTF-8 encoder makes of a string (lone surrogates become U+FFFD): the text a receiver can get back.</summary>
    public static string AsSent(string value) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value));

    public static int Octets(string value) => Encoding.UTF8.GetByteCount(value);
}

/// <summary>A CEF line split per the CEF specification: 7 header fields (\| and \\ unescaped) and the extension's keys.</summary>
public sealed record CefMessage(IReadOnlyList<string> Header, IReadOnlyList<(string Key, string Value)> Extension)
{
    public string this[string key] => Extension.Single(e => e.Key == key).Value;

    public static CefMessage Parse(string line)
    {
        if (!line.StartsWith("CEF:", StringComparison.Ordinal))
        {
            throw new FormatException("No CEF: prefix.");
        }

        var header = new List<string>();
        var field = new StringBuilder();
        var i = 4;
        while (header.Count < 7)
        {
            if (i >= line.Length)
            {
                throw new FormatException("The header has fewer than 8 fields.");
            }

            var c = line[i++];
            if (c is '\r' or '\n')
            {
                throw new FormatException("A line break in the header.");
            }

            if (c == '\\')
            {
                var escaped = line[i++];
                field.Append(escaped is '|' or '\\' ? escaped : throw new FormatException($"Bad header escape \\{escaped}."));
            }
            else if (c == '|')
            {
                header.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        // Extension: key=value pairs separated by spaces; a key is a run of [A-Za-z0-9_] before an unescaped '='.
        var rest = line[i..];
        if (rest.Contains('\n', StringComparison.Ordinal) || rest.Contains('\r', StringComparison.Ordinal))
        {
            throw new FormatException("A raw line break in the extension.");
        }

        var equals = new List<int>();
        for (var j = 0; j < rest.Length; j++)
        {
            if (rest[j] == '\\')
            {
                j++;
                if (j >= rest.Length || rest[j] is not ('\\' or '=' or 'n' or 'r'))
                {
                    throw new FormatException("Bad extension escape.");
                }
            }
            else if (rest[j] == '=')
            {
                equals.Add(j);
            }
        }

        var pairs = new List<(string, string)>();
        var keyStarts = equals.Select(e =>
        {
            var k = e;
            while (k > 0 && (char.IsAsciiLetterOrDigit(rest[k - 1]) || rest[k - 1] == '_'))
            {
                k--;
            }

            if (k == e || (k > 0 && rest[k - 1] != ' '))
            {
                throw new FormatException($"An unescaped '=' inside a value at {e}.");
            }

            return k;
        }).ToList();
        for (var n = 0; n < equals.Count; n++)
        {
            var valueEnd = n + 1 < equals.Count ? keyStarts[n + 1] - 1 : rest.Length;
            var raw = rest[(equals[n] + 1)..valueEnd];
            pairs.Add((rest[keyStarts[n]..equals[n]], Unescape(raw)));
        }

        return new CefMessage(header, pairs);
    }

    private static string Unescape(string raw)
    {
        var value = new StringBuilder();
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\')
            {
                value.Append(raw[++i] switch { 'n' => '\n', 'r' => '\r', var c => c });
            }
            else
            {
                value.Append(raw[i]);
            }
        }

        return value.ToString();
    }
}

/// <summary>A LEEF 2.0 line: 6 header fields (the last the delimiter declaration) and tab-separated attributes.</summary>
public sealed record LeefMessage(IReadOnlyList<string> Header, IReadOnlyList<(string Key, string Value)> Attributes)
{
    public string this[string key] => Attributes.Single(e => e.Key == key).Value;

    public static LeefMessage Parse(string line)
    {
        if (!line.StartsWith("LEEF:2.0|", StringComparison.Ordinal))
        {
            throw new FormatException("No LEEF:2.0 prefix.");
        }

        if (line.Contains('\n', StringComparison.Ordinal) || line.Contains('\r', StringComparison.Ordinal))
        {
            throw new FormatException("A raw line break.");
        }

        var header = new List<string>();
        var field = new StringBuilder();
        var i = 9;
        while (header.Count < 5)
        {
            var c = line[i++];
            if (c == '\\' && line[i] is '|' or '\\')
            {
                field.Append(line[i++]);
            }
            else if (c == '|')
            {
                header.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (header[4] != "x09")
        {
            throw new FormatException($"Delimiter {header[4]} is not the tab this parser expects.");
        }

        var attributes = line[i..].Split('\t').Select(a =>
        {
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            return eq <= 0 ? throw new FormatException($"Attribute without key: {a}") : (a[..eq], a[(eq + 1)..]);
        }).ToList();
        return new LeefMessage(header, attributes);
    }
}
