using System.Net;
using System.Text;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;

namespace CodeRaft.Admin.Features.Siem.Formatting;

/// <summary>
/// ArcSight CEF (CONTRACTS §8): <c>CEF:0|CodeRaft|&lt;product&gt;|&lt;version&gt;|&lt;action&gt;|&lt;action&gt;|&lt;severity&gt;|&lt;extension&gt;</c>
/// with <c>externalId</c> = sequence and <c>cs1</c> = chain hash. On a syslog target the line is the MSG of an
/// RFC 5424 message with no structured data (<paramref name="syslogHeader"/>), so receivers parse the transport as
/// they do for RFC 5424 and find <c>CEF:0</c> where CEF connectors look for it.
/// </summary>
public sealed class CefFormatter(SyslogHeader? syslogHeader, string? deviceHostName = null, int maxOctets = 0) : SiemLineFormatter(maxOctets)
{
    private readonly string? _deviceHostName = string.IsNullOrWhiteSpace(deviceHostName) ? null : deviceHostName.Trim();

    internal override void WriteEntry(StringBuilder builder, AuditEntry entry, SiemCut cut)
    {
        if (syslogHeader is not null)
        {
            syslogHeader.Append(builder, SiemText.SyslogSeverity(entry.Outcome), entry.Timestamp, entry.Action);
            builder.Append(" - ");
        }

        Header(builder, entry.Product, entry.Action, SiemText.CefSeverity(entry.Outcome), cut);
        Common(builder, entry.Timestamp, entry.Sequence, entry.Hash, entry.Category, cut);
        Key(builder, "act", entry.Action, cut);
        Key(builder, "outcome", entry.Outcome, cut);
        KeyIfAny(builder, "suser", entry.ActorName, cut);
        KeyIfAny(builder, "suid", entry.ActorId, cut);
        if (entry.ActorType.Length > 0)
        {
            Key(builder, "cs4", entry.ActorType, cut);
            builder.Append(" cs4Label=actorType");
        }

        if (entry.SourceIp.Length > 0)
        {
            // src must be an address: ArcSight drops an event whose src does not parse. Anything else keeps its own field.
            if (IPAddress.TryParse(entry.SourceIp, out _))
            {
                Key(builder, "src", entry.SourceIp, cut);
            }
            else
            {
                Key(builder, "cs5", entry.SourceIp, cut);
                builder.Append(" cs5Label=sourceIp");
            }
        }

        if (entry.TargetId.Length > 0)
        {
            Key(builder, "cs2", entry.TargetId, cut);
            builder.Append(" cs2Label=target");
        }

        if (entry.TargetType.Length > 0)
        {
            Key(builder, "cs3", entry.TargetType, cut);
            builder.Append(" cs3Label=targetType");
        }

        if (cut.Truncating)
        {
            builder.Append(" cn1=").Append(cut.TruncatedFrom).Append(" cn1Label=detailsOctets");
        }

        builder.Append(" msg=");
        AppendDetails(builder, entry.Details, SiemEscape.CefExtension, cut);
    }

    internal override void WriteCheckpoint(StringBuilder builder, AuditCheckpoint checkpoint)
    {
        if (syslogHeader is not null)
        {
            syslogHeader.Append(builder, 6, checkpoint.Timestamp, SiemText.CheckpointAction);
            builder.Append(" - ");
        }

        Header(builder, AuditVocabulary.Admin, SiemText.CheckpointAction, 1, SiemCut.None);
        Common(builder, checkpoint.Timestamp, checkpoint.Sequence, checkpoint.Hash, "audit", SiemCut.None);
        Key(builder, "cs2", checkpoint.KeyId, SiemCut.None);
        builder.Append(" cs2Label=keyId");
        Key(builder, "cs3", checkpoint.Signature, SiemCut.None);
        builder.Append(" cs3Label=signature");
    }

    private static void Header(StringBuilder builder, string product, string action, int severity, SiemCut cut)
    {
        builder.Append("CEF:0|").Append(SiemText.Vendor).Append('|');
        AppendValue(builder, product, SiemEscape.PipeHeader, cut);
        builder.Append('|');
        SiemText.Append(builder, SiemText.ProductVersion, SiemEscape.PipeHeader);
        builder.Append('|');
        AppendValue(builder, action, SiemEscape.PipeHeader, cut);
        builder.Append('|');
        AppendValue(builder, action, SiemEscape.PipeHeader, cut);
        builder.Append('|').Append(severity).Append('|');
    }

    private void Common(StringBuilder builder, string timestamp, long sequence, string hash, string category, SiemCut cut)
    {
        // The first key has no leading space; every later one starts with one.
        if (SiemText.UnixMilliseconds(timestamp) is { } rt)
        {
            builder.Append("rt=").Append(rt).Append(' ');
        }

        builder.Append("externalId=").Append(sequence);
        Key(builder, "cs1", hash, cut);
        builder.Append(" cs1Label=chainHash");
        Key(builder, "cat", category, cut);
        if (_deviceHostName is not null)
        {
            Key(builder, "dvchost", _deviceHostName, cut);
        }
    }

    private static void Key(StringBuilder builder, string key, string value, SiemCut cut)
    {
        builder.Append(' ').Append(key).Append('=');
        AppendValue(builder, value, SiemEscape.CefExtension, cut);
    }

    private static void KeyIfAny(StringBuilder builder, string key, string value, SiemCut cut)
    {
        if (value.Length > 0)
        {
            Key(builder, key, value, cut);
        }
    }
}
