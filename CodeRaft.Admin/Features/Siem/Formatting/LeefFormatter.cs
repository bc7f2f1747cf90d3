using System.Net;
using System.Text;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;

namespace CodeRaft.Admin.Features.Siem.Formatting;

/// <summary>
/// IBM QRadar LEEF 2.0: <c>LEEF:2.0|CodeRaft|&lt;product&gt;|&lt;version&gt;|&lt;action&gt;|x09|key=value&lt;TAB&gt;…</c>.
/// The delimiter is declared as <c>x09</c> (tab, the LEEF 1.0 default, in the 2.0 hex form): a tab never occurs in
/// the chain's fields (the audit validator refuses control characters) nor in the compact details JSON (JSON escapes
/// it), so no value needs changing in practice; a stray tab, CR or LF still becomes <c>\t</c>, <c>\r</c>, <c>\n</c>.
/// On a syslog target the line is the MSG of an RFC 5424 message with no structured data, as for CEF.
/// </summary>
public sealed class LeefFormatter(SyslogHeader? syslogHeader, int maxOctets = 0) : SiemLineFormatter(maxOctets)
{
    public const string DelimiterDeclaration = "x09";

    /// <summary>devTime is sent as the chain stores it; this Java SimpleDateFormat pattern tells QRadar how to read it.</summary>
    public const string DevTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSX";

    private const char Delimiter = '\t';

    internal override void WriteEntry(StringBuilder builder, AuditEntry entry, SiemCut cut)
    {
        if (syslogHeader is not null)
        {
            syslogHeader.Append(builder, SiemText.SyslogSeverity(entry.Outcome), entry.Timestamp, entry.Action);
            builder.Append(" - ");
        }

        Header(builder, entry.Product, entry.Action, cut);
        Common(builder, entry.Timestamp, entry.Sequence, entry.Hash, entry.Category, SiemText.CefSeverity(entry.Outcome), cut);
        Attribute(builder, "action", entry.Action, cut);
        Attribute(builder, "outcome", entry.Outcome, cut);
        Attribute(builder, "usrName", entry.ActorName, cut);
        Attribute(builder, "actorId", entry.ActorId, cut);
        Attribute(builder, "actorType", entry.ActorType, cut);
        // src is typed as an IP address in QRadar; anything else keeps its own attribute.
        Attribute(builder, entry.SourceIp.Length == 0 || IPAddress.TryParse(entry.SourceIp, out _) ? "src" : "sourceIp", entry.SourceIp, cut);
        Attribute(builder, "target", entry.TargetId, cut);
        Attribute(builder, "targetType", entry.TargetType, cut);
        if (cut.Truncating)
        {
            builder.Append(Delimiter).Append("truncated=").Append(cut.TruncatedFrom);
        }

        builder.Append(Delimiter).Append("details=");
        AppendDetails(builder, entry.Details, SiemEscape.LeefValue, cut);
    }

    internal override void WriteCheckpoint(StringBuilder builder, AuditCheckpoint checkpoint)
    {
        if (syslogHeader is not null)
        {
            syslogHeader.Append(builder, 6, checkpoint.Timestamp, SiemText.CheckpointAction);
            builder.Append(" - ");
        }

        Header(builder, AuditVocabulary.Admin, SiemText.CheckpointAction, SiemCut.None);
        Common(builder, checkpoint.Timestamp, checkpoint.Sequence, checkpoint.Hash, "audit", 1, SiemCut.None);
        Attribute(builder, "keyId", checkpoint.KeyId, SiemCut.None);
        Attribute(builder, "signature", checkpoint.Signature, SiemCut.None);
    }

    private static void Header(StringBuilder builder, string product, string action, SiemCut cut)
    {
        builder.Append("LEEF:2.0|").Append(SiemText.Vendor).Append('|');
        AppendValue(builder, product, SiemEscape.PipeHeader, cut);
        builder.Append('|');
        SiemText.Append(builder, SiemText.ProductVersion, SiemEscape.PipeHeader);
        builder.Append('|');
        AppendValue(builder, action, SiemEscape.PipeHeader, cut);
        builder.Append('|').Append(DelimiterDeclaration).Append('|');
    }

    private static void Common(StringBuilder builder, string timestamp, long sequence, string hash, string category, int severity, SiemCut cut)
    {
        // The first attribute follows the header's last pipe directly; every later one starts with the delimiter.
        builder.Append("sequence=").Append(sequence);
        Attribute(builder, "chainHash", hash, cut);
        if (SiemText.IsChainTimestamp(timestamp))
        {
            builder.Append(Delimiter).Append("devTime=").Append(timestamp);
            builder.Append(Delimiter).Append("devTimeFormat=").Append(DevTimeFormat);
        }

        Attribute(builder, "cat", category, cut);
        builder.Append(Delimiter).Append("sev=").Append(severity);
    }

    private static void Attribute(StringBuilder builder, string key, string value, SiemCut cut)
    {
        builder.Append(Delimiter).Append(key).Append('=');
        AppendValue(builder, value, SiemEscape.LeefValue, cut);
    }
}
