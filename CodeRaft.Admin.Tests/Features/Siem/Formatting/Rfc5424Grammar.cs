using System.Text;

namespace CodeRaft.Admin.Tests.Features.Siem.Formatting;

/// <summary>A parsed RFC 5424 message (values unescaped).</summary>
public sealed record SyslogMessage(
    int Pri,
    int Version,
    string Timestamp,
    string HostName,
    string AppName,
    string ProcId,
    string MsgId,
    IReadOnlyList<(string Id, IReadOnlyList<(string Name, string Value)> Params)> StructuredData,
    string? Msg)
{
    public string Param(string name) => StructuredData.Single().Params.Single(p => p.Name == name).Value;
}

/// <summary>
/// A strict checker of the RFC 5424 §6 ABNF (written for the tests, independent of the formatter):
/// HEADER fields PRINTUSASCII within their maximum lengths, TIMESTAMP per §6.2.3, SD-ELEMENTs with SD-NAMEs and
/// PARAM-VALUEs in which <c>"</c>, <c>\</c> and <c>]</c> only ever occur escaped. Throws <see cref="FormatException"/>
/// naming the first violation.
/// </summary>
public static class Rfc5424Grammar
{
    public static SyslogMessage Parse(string message)
    {
        var p = new Cursor(message);
        p.Expect('<');
        var pri = p.Digits(1, 3, "PRI");
        if (pri > 191)
        {
            throw new FormatException($"PRI {pri} is above 191.");
        }

        p.Expect('>');
        if (p.Peek() == '0')
        {
            throw new FormatException("VERSION must start with a non-zero digit.");
        }

        var version = p.Digits(1, 2, "VERSION");
        p.Expect(' ');
        var timestamp = p.Token(int.MaxValue, "TIMESTAMP");
        if (timestamp != "-")
        {
            CheckTimestamp(timestamp);
        }

        p.Expect(' ');
        var host = p.Token(255, "HOSTNAME");
        p.Expect(' ');
        var app = p.Token(48, "APP-NAME");
        p.Expect(' ');
        var procId = p.Token(128, "PROCID");
        p.Expect(' ');
        var msgId = p.Token(32, "MSGID");
        p.Expect(' ');

        var elements = new List<(string, IReadOnlyList<(string, string)>)>();
        if (p.Peek() == '-')
        {
            p.Next();
        }
        else
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            do
            {
                p.Expect('[');
                var id = p.SdName("SD-ID");
                if (!ids.Add(id))
                {
                    throw new FormatException($"SD-ID {id} occurs twice.");
                }

                var parameters = new List<(string, string)>();
                while (p.Peek() == ' ')
                {
                    p.Next();
                    var name = p.SdName("PARAM-NAME");
                    p.Expect('=');
                    p.Expect('"');
                    parameters.Add((name, p.ParamValue()));
                }

                p.Expect(']');
                elements.Add((id, parameters));
            }
            while (p.Peek() == '[');
        }

        string? msg = null;
        if (!p.AtEnd)
        {
            p.Expect(' ');
            msg = p.Rest();
        }

        return new SyslogMessage(pri, version, timestamp, host, app, procId, msgId, elements, msg);
    }

    private static void CheckTimestamp(string t)
    {
        // FULL-DATE "T" PARTIAL-TIME [TIME-SECFRAC] TIME-OFFSET
        var ok = t.Length >= 20 && Digits(t, 0, 4) && t[4] == '-' && Digits(t, 5, 2) && t[7] == '-' && Digits(t, 8, 2) && t[10] == 'T'
            && Digits(t, 11, 2) && t[13] == ':' && Digits(t, 14, 2) && t[16] == ':' && Digits(t, 17, 2);
        var i = 19;
        if (ok && i < t.Length && t[i] == '.')
        {
            var start = ++i;
            while (i < t.Length && char.IsAsciiDigit(t[i]))
            {
                i++;
            }

            ok = i - start is >= 1 and <= 6;
        }

        ok = ok && (t[i..] == "Z" || (t.Length - i == 6 && t[i] is '+' or '-' && Digits(t, i + 1, 2) && t[i + 3] == ':' && Digits(t, i + 4, 2)));
        if (!ok)
        {
            throw new FormatException($"TIMESTAMP {t} is not RFC 5424 §6.2.3.");
        }
    }

    private static bool Digits(string s, int start, int count) => start + count <= s.Length && s.AsSpan(start, count).ContainsOnlyDigits();

    private static bool ContainsOnlyDigits(this ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Cursor(string text)
    {
        private int _i;

        public bool AtEnd => _i >= text.Length;

        public char Peek() => AtEnd ? '\0' : text[_i];

        public char Next() => AtEnd ? throw new FormatException("Unexpected end of message.") : text[_i++];

        public void Expect(char c)
        {
            if (Peek() != c || AtEnd)
            {
                throw new FormatException($"Expected '{c}' at {_i}, found '{Peek()}' in: {text[..Math.Min(text.Length, _i + 20)]}");
            }

            _i++;
        }

        public int Digits(int min, int max, string what)
        {
            var start = _i;
            while (!AtEnd && char.IsAsciiDigit(text[_i]) && _i - start < max)
            {
                _i++;
            }

            return _i - start < min ? throw new FormatException($"{what} needs {min}–{max} digits.") : int.Parse(text.AsSpan(start, _i - start), System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>NILVALUE or 1*max PRINTUSASCII.</summary>
        public string Token(int max, string what)
        {
            var start = _i;
            while (!AtEnd && text[_i] is >= '!' and <= '~')
            {
                _i++;
            }

            var length = _i - start;
            if (length == 0 || length > max)
            {
                throw new FormatException($"{what} must be 1–{max} PRINTUSASCII characters, found {length} at {start} ('{Peek()}').");
            }

            return text.Substring(start, length);
        }

        /// <summary>1*32 PRINTUSASCII except '=', SP, ']', '"'.</summary>
        public string SdName(string what)
        {
            var start = _i;
            while (!AtEnd && text[_i] is >= '!' and <= '~' and not '=' and not ']' and not '"')
            {
                _i++;
            }

            var length = _i - start;
            return length is 0 or > 32 ? throw new FormatException($"{what} must be 1–32 characters, found {length} at {start}.") : text.Substring(start, length);
        }

        /// <summary>After the opening quote, up to and including the closing one; only \" \\ \] are allowed as escapes.</summary>
        public string ParamValue()
        {
            var value = new StringBuilder();
            while (true)
            {
                var c = Next();
                switch (c)
                {
                    case '"':
                        return value.ToString();
                    case ']':
                        throw new FormatException($"Unescaped ']' in a PARAM-VALUE at {_i - 1}.");
                    case '\\':
                        var escaped = Next();
                        if (escaped is not ('"' or '\\' or ']'))
                        {
                            throw new FormatException($"Unescaped '\\' in a PARAM-VALUE at {_i - 2}.");
                        }

                        value.Append(escaped);
                        break;
                    default:
                        value.Append(c);
                        break;
                }
            }
        }

        public string Rest()
        {
            var rest = text[_i..];
            _i = text.Length;
            return rest;
        }
    }
}
