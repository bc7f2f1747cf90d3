using System.Globalization;
using System.Text;

namespace CodeRaft.Admin.Features.Siem.Formatting;

/// <summary>
/// The RFC 5424 §6.2 HEADER: <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID</c>. Every field is PRINTUSASCII
/// within its maximum length; an unknown value is the NILVALUE <c>-</c>. PRI = facility 13 (log audit) × 8 + severity.
/// </summary>
public sealed class SyslogHeader
{
    /// <summary>RFC 5424 facility 13, "log audit": the portal's audit trail, kept apart from the host's own auth/authpriv logs.</summary>
    public const int Facility = 13;

    public const string AppName = "coderaft";

    public const int MaxHostNameLength = 255;
    public const int MaxProcIdLength = 128;
    public const int MaxMsgIdLength = 32;

    // " HOSTNAME APP-NAME PROCID " — the same for every message of a formatter, so built once.
    private readonly string _middle;

    /// <param name="hostName">null or empty = NILVALUE; otherwise cut to PRINTUSASCII, 255 characters.</param>
    public SyslogHeader(string? hostName, int processId)
    {
        HostName = PrintUsAscii(hostName, MaxHostNameLength);
        ProcId = processId.ToString(CultureInfo.InvariantCulture);
        _middle = " " + HostName + " " + AppName + " " + ProcId + " ";
    }

    /// <summary>The HOSTNAME as sent (<c>-</c> when unknown).</summary>
    public string HostName { get; }

    public string ProcId { get; }

    public void Append(StringBuilder builder, int severity, string timestamp, string msgId)
    {
        builder.Append('<').Append((Facility * 8) + severity).Append(">1 ");
        // The chain stores exactly yyyy-MM-ddTHH:mm:ss.fffZ, a valid RFC 5424 TIMESTAMP; anything else is "unknown".
        builder.Append(SiemText.IsChainTimestamp(timestamp) ? timestamp : "-");
        builder.Append(_middle);
        if (msgId.Length == 0)
        {
            builder.Append('-');
        }
        else
        {
            SiemText.Append(builder, msgId, SiemEscape.PrintUsAscii, MaxMsgIdLength);
        }
    }

    /// <summary>A header field: PRINTUSASCII only (anything else becomes <c>_</c>), at most <paramref name="maxLength"/>; empty = <c>-</c>.</summary>
    public static string PrintUsAscii(string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "-";
        }

        var builder = new StringBuilder(Math.Min(value.Length, maxLength));
        SiemText.Append(builder, value.Trim(), SiemEscape.PrintUsAscii, maxLength);
        return builder.ToString();
    }
}
